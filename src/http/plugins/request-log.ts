/**
 * One log line per request (Fastify's own two lines are turned off): request id, method,
 * route, status, time, organization. Query strings are not logged: filters carry emails.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DatabaseFailure } from '../../db/database-errors.js'
import type { BulkRunSummary } from '../../services/bulk.service.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Why a request failed with a 5xx, for its request line (one line, no stack). */
    failure?: string
    databaseFailure?: DatabaseFailure
    /** What a /Bulk did, for its request line. */
    bulkSummary?: BulkRunSummary
  }
}

const logged = new WeakSet<FastifyRequest>()

/**
 * Writes the request's line, once. Normally the onResponse hook does; a request whose client
 * went away may never get there (nothing is sent), so its handler calls this itself.
 */
export function logRequestLine (request: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}): void {
  if (logged.has(request)) return
  logged.add(request)
  const level = reply.statusCode >= 500 ? 'warn' : 'info'
  request.log[level]({
    method: request.method,
    route: request.routeOptions.url ?? 'unmatched',
    path: request.url.split('?')[0],
    status: reply.statusCode,
    responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    organization: request.organization?.name,
    ...(request.failure !== undefined ? { failure: request.failure } : {}),
    ...(request.bulkSummary !== undefined ? { bulk: request.bulkSummary } : {}),
    ...extra
  }, 'request')
}

export function registerRequestLog (app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => { logRequestLine(request, reply); done() })
}

/** Paths pino removes from every log line, whatever logs them. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'password',
  '*.password',
  'token',
  '*.token'
]
