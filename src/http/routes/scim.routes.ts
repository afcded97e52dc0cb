/**
 * Everything under /scim/v2: authenticated, SCIM media type on every response.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.js'
import { ScimError } from '../../scim/errors.js'
import type { Services } from '../../services/services.js'
import { registerAuthentication } from '../plugins/auth.js'
import { SCIM_CONTENT_TYPE } from '../scim-media.js'

export interface ScimRouteContext {
  readonly config: Config
  readonly services: Services
}

function notImplemented (what: string) {
  return async () => { throw ScimError.notImplemented(`${what} is not available yet.`) }
}

export async function registerScimRoutes (scope: FastifyInstance, context: ScimRouteContext): Promise<void> {
  scope.addHook('onRequest', async (_request, reply) => { reply.type(SCIM_CONTENT_TYPE) })
  registerAuthentication(scope, context.services.tokens)

  for (const resource of ['Users', 'Groups']) {
    scope.route({ method: ['GET', 'POST'], url: `/${resource}`, schema: { hide: true }, handler: notImplemented(`/${resource}`) })
    scope.route({ method: ['GET', 'PUT', 'PATCH', 'DELETE'], url: `/${resource}/:id`, schema: { hide: true }, handler: notImplemented(`/${resource}`) })
  }
}
