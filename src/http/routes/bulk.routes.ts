/**
 * POST /Bulk (RFC 7644 §3.7). The limits advertised in /ServiceProviderConfig are enforced
 * here: more operations than `maxOperations` or a body over `maxPayloadSize` is 413
 * (§3.7.4), with scimType `tooMany` / `tooLarge` and a detail naming the limit.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ScimError } from '../../scim/errors.js'
import { parseBulkRequest } from '../../scim/bulk.js'
import { runBulkRequest, type BulkStop } from '../../services/bulk.service.js'
import { scimBaseUrl } from '../base-url.js'
import { createInjectDispatcher } from '../bulk-dispatch.js'
import { logRequestLine } from '../plugins/request-log.js'
import { BULK_ROUTE_SCHEMA } from '../route-schemas.js'
import type { ScimRouteContext } from './scim.routes.js'

const SHUTDOWN_RETRY_AFTER_SECONDS = 2

export function registerBulkRoutes (scope: FastifyInstance, { config, lifecycle }: ScimRouteContext): void {
  const maxPayloadSize = config.bulkMaxPayloadBytes
  const tooLarge = () => ScimError.payloadTooLarge(`The bulk request body exceeds maxPayloadSize (${maxPayloadSize} bytes).`, 'tooLarge')

  // Refuse by Content-Length before reading the body; the route's bodyLimit catches bodies
  // sent without one (chunked), with the same answer through onError below.
  const checkDeclaredLength = async (request: FastifyRequest) => {
    const declared = Number(request.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxPayloadSize) throw tooLarge()
  }

  // Bulk needs scim:write whatever it contains, so a read-only token is refused before the
  // body is read: nothing of it runs (RFC 7644 §3.7 bulk operations are all writes anyway).
  scope.post('/Bulk', {
    config: { scope: 'scim:write' },
    schema: BULK_ROUTE_SCHEMA,
    bodyLimit: maxPayloadSize,
    onRequest: checkDeclaredLength,
    errorHandler: (error) => {
      const code = (error as { code?: string }).code
      // Delegate everything else to the application's SCIM error handler.
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw tooLarge()
      throw error
    }
  }, async (request, reply) => {
    const bulk = parseBulkRequest(request.body, { maxOperations: config.bulkMaxOperations })
    const baseUrl = scimBaseUrl(request, config)
    // A client that hung up will never read the answer: stop at the next operation.
    let clientGone = false
    reply.raw.once('close', () => { clientGone = !reply.raw.writableFinished })
    const shouldStop = (): BulkStop | undefined => {
      if (clientGone) return { reason: 'clientGone' }
      const deadline = lifecycle.workDeadline()
      if (deadline === undefined || Date.now() < deadline) return undefined
      return {
        reason: 'shutdown',
        error: ScimError.unavailable('The service is shutting down; this operation was not performed. Send it again.', SHUTDOWN_RETRY_AFTER_SECONDS)
      }
    }
    const response = await runBulkRequest(bulk, {
      dispatch: createInjectDispatcher(scope, request),
      locate: (endpoint, id) => `${baseUrl}/${endpoint}/${encodeURIComponent(id)}`,
      shouldStop,
      onFinish: summary => { request.bulkSummary = summary }
    })
    // Nothing can be sent, and Fastify may never reach onResponse: log the request here.
    if (clientGone) logRequestLine(request, reply.code(499), { abandoned: true })
    return reply.code(200).send(response)
  })
}
