/** Liveness and readiness for load balancers and orchestrators; no authentication. */
import type { FastifyInstance } from 'fastify'
import { checkDatabase, type Db } from '../../db/database.js'
import { classifyDatabaseFailure, describeDatabaseFailure } from '../../db/database-errors.js'
import { ScimError } from '../../scim/errors.js'
import { DATABASE_RETRY_AFTER_SECONDS } from '../plugins/error-handler.js'
import type { Lifecycle } from '../plugins/shutdown.js'

/**
 * Readiness answers within this time whatever the database does (a load balancer's probe
 * usually gives up after 2 to 5 s).
 */
export const READINESS_TIMEOUT_MS = 1500

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status']
} as const

export function registerHealthRoutes (app: FastifyInstance, db: Db, lifecycle: Lifecycle): void {
  app.get('/health/live', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: statusSchema } }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'The service can reach its database', response: { 200: statusSchema } }
  }, async request => {
    // Shutting down: tell the load balancer to route elsewhere (requests are still served).
    if (lifecycle.closingSince !== undefined) throw ScimError.unavailable('The service is shutting down.', DATABASE_RETRY_AFTER_SECONDS)
    try {
      await checkDatabase(db, READINESS_TIMEOUT_MS)
    } catch (error) {
      // One line in the request log, no stack: probes repeat every few seconds.
      const failure = classifyDatabaseFailure(error) ?? 'unavailable'
      request.failure = `database ${failure}: ${describeDatabaseFailure(error)}`
      request.databaseFailure = failure
      throw ScimError.unavailable('The database is not reachable.', DATABASE_RETRY_AFTER_SECONDS)
    }
    return { status: 'ok' }
  })
}
