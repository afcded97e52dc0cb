/**
 * Performs one bulk operation as an ordinary request to this same application (in-process
 * injection, no network): the same authentication, the same organization, the same routes
 * and services. Every rule (validation, uniqueness, the customer-only membership rule,
 * If-Match) is therefore the code path a single request takes, and each operation is atomic
 * exactly as that request is. The cost is a token lookup and a JSON round trip per operation,
 * small next to the database work.
 *
 * Operations are injected into the application's request handler directly rather than
 * through `app.inject`, which refuses once the application is closing: a /Bulk in flight at
 * shutdown must be able to finish the operations it has time for.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { IncomingMessage } from 'node:http'
import lightMyRequest from 'light-my-request'
import { SCIM_BASE_PATH } from '../config.js'
import type { BulkDispatchRequest, BulkDispatchResult, BulkDispatcher } from '../services/bulk.service.js'

/** Headers of the bulk request that the operations inherit (identity, host for Location). */
const INHERITED_HEADERS = ['authorization', 'host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for'] as const

/** Raw requests that are operations of a /Bulk (they share their parent's limits). */
const bulkOperations = new WeakSet<IncomingMessage>()

export function isBulkOperation (request: FastifyRequest): boolean {
  return bulkOperations.has(request.raw)
}

function headerValue (value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value[0] : String(value)
}

export function createInjectDispatcher (app: FastifyInstance, request: FastifyRequest): BulkDispatcher {
  let sequence = 0
  const dispatch = (req: IncomingMessage, res: Parameters<FastifyInstance['routing']>[1]): void => {
    bulkOperations.add(req)
    app.routing(req, res)
  }
  return async (operation: BulkDispatchRequest): Promise<BulkDispatchResult> => {
    const headers: Record<string, string> = {
      accept: 'application/scim+json',
      // Each operation logs under the bulk request's id, numbered, so one bulk can be traced.
      'x-request-id': `${request.id}.${++sequence}`
    }
    for (const name of INHERITED_HEADERS) {
      const value = headerValue(request.headers[name])
      if (value !== undefined) headers[name] = value
    }
    if (operation.version !== undefined) headers['if-match'] = operation.version
    const hasBody = operation.method !== 'DELETE'
    if (hasBody) headers['content-type'] = 'application/scim+json'
    const id = operation.id === undefined ? '' : `/${encodeURIComponent(operation.id)}`
    const response = await lightMyRequest(dispatch, {
      method: operation.method,
      url: `${SCIM_BASE_PATH}/${operation.endpoint}${id}`,
      headers,
      ...(hasBody ? { payload: JSON.stringify(operation.data) } : {})
    })
    return {
      status: response.statusCode,
      body: response.body === '' ? undefined : safeJson(response.body),
      location: headerValue(response.headers.location),
      etag: headerValue(response.headers.etag)
    }
  }
}

function safeJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
