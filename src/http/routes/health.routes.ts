/** Liveness and readiness for load balancers and orchestrators; no authentication. */
import type { FastifyInstance } from 'fastify'
import { checkDatabase, type Db } from '../../db/database.js'
import { ScimError } from '../../scim/errors.js'

const statusSchema = {
  type: 'object',
  properties: { status: { type: 'string' } },
  required: ['status']
} as const

export function registerHealthRoutes (app: FastifyInstance, db: Db): void {
  app.get('/health/live', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'The process is up', response: { 200: statusSchema } }
  }, async () => ({ status: 'ok' }))

  app.get('/health/ready', {
    config: { scope: 'public' },
    schema: { tags: ['health'], summary: 'The service can reach its database', response: { 200: statusSchema } }
  }, async request => {
    try {
      await checkDatabase(db)
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed')
      throw ScimError.unavailable('The database is not reachable.')
    }
    return { status: 'ok' }
  })
}
