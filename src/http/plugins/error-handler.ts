/**
 * Every error body the service sends comes from here, in the RFC 7644 §3.12 form:
 * `{ schemas: [Error URN], status: "400", scimType?, detail }`. Unknown errors become a 500
 * that reveals nothing internal and is logged with the request id.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isPgError, mapDatabaseError } from '../../db/constraint-errors.js'
import { classifyDatabaseFailure, describeDatabaseFailure, type DatabaseFailure } from '../../db/database-errors.js'
import { ScimError } from '../../scim/errors.js'
import { SCIM_CONTENT_TYPE } from '../scim-media.js'

export const ERROR_SCHEMA_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'

export function sendScimError (reply: FastifyReply, error: ScimError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
  // A refused oversized body may still be arriving: close the connection rather than read
  // (or misparse as the next request) what the client keeps sending (RFC 9110 §15.5.14).
  if (error.status === 413) reply.header('connection', 'close')
  return reply.code(error.status).type(SCIM_CONTENT_TYPE).send({
    schemas: [ERROR_SCHEMA_URN],
    status: String(error.status),
    ...(error.scimType !== undefined ? { scimType: error.scimType } : {}),
    detail: error.detail
  })
}

/** Fastify's own errors (parsing, validation, limits) in SCIM terms. */
function fromFastifyError (error: FastifyError): ScimError | undefined {
  if (error.validation !== undefined) {
    // The body failed the envelope schema: RFC 7644 §3.12 calls that invalidSyntax.
    const where = error.validationContext ?? 'request'
    const detail = `Invalid ${where}: ${error.message}`
    return where === 'body' ? ScimError.invalidSyntax(detail) : ScimError.invalidValue(detail)
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return ScimError.unsupportedMediaType('Send the body as application/scim+json or application/json.')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ScimError.payloadTooLarge('The request body is larger than this service accepts.', 'tooLarge')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ScimError.invalidSyntax(error.message)
  }
  if (error instanceof SyntaxError) return ScimError.invalidSyntax(`The request body is not valid JSON: ${error.message}`)
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new ScimError(error.statusCode, error.message)
  }
  return undefined
}

/** Seconds a client is asked to wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2

function databaseUnavailable (failure: DatabaseFailure): ScimError {
  const detail = failure === 'timeout'
    ? 'The database did not answer in time; retry later.'
    : 'The database is unavailable; retry later.'
  return ScimError.unavailable(detail, DATABASE_RETRY_AFTER_SECONDS)
}

export function toScimError (error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error
  return mapDatabaseError(error) ?? (error instanceof Error ? fromFastifyError(error as FastifyError) : undefined)
}

export interface ErrorHandlerOptions {
  /** Told about each request the database failed (metrics). */
  readonly onDatabaseFailure?: (kind: DatabaseFailure | 'other') => void
}

export function registerErrorHandler (app: FastifyInstance, options: ErrorHandlerOptions = {}): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    // An outage costs one short line per request (the request line, see request-log.ts),
    // not a stack trace: during an outage every request fails the same way.
    const failure = classifyDatabaseFailure(error)
    if (failure !== undefined) {
      request.failure = `database ${failure}: ${describeDatabaseFailure(error)}`
      request.databaseFailure = failure
      options.onDatabaseFailure?.(failure)
      return sendScimError(reply, databaseUnavailable(failure))
    }
    const scimError = toScimError(error)
    if (scimError !== undefined) {
      if (scimError.status >= 500) request.failure ??= scimError.detail
      return sendScimError(reply, scimError)
    }
    if (isPgError(error)) options.onDatabaseFailure?.('other')
    request.log.error({ err: error }, 'unexpected error')
    return sendScimError(reply, new ScimError(500, `Internal server error (request ${request.id}).`))
  })

  app.setNotFoundHandler((request, reply) => {
    return sendScimError(reply, ScimError.notFound(`No endpoint ${request.method} ${request.url.split('?')[0]}.`))
  })
}
