/**
 * One log line per request (Fastify's own two lines are turned off): request id, method,
 * route, status, time, organization. Query strings are not logged: filters carry emails.
 */
import type { FastifyInstance } from 'fastify'
import type { DatabaseFailure } from '../../db/database-errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Why a request failed with a 5xx, for its request line (one line, no stack). */
    failure?: string
    databaseFailure?: DatabaseFailure
  }
}

export function registerRequestLog (app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'warn' : 'info'
    request.log[level]({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      path: request.url.split('?')[0],
      status: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
      organization: request.organization?.name,
      ...(request.failure !== undefined ? { failure: request.failure } : {})
    }, 'request')
  })
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
