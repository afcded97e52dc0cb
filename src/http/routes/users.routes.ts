/** /Users routes: parse, call one service method, set status and headers. */
import type { FastifyInstance } from 'fastify'
import { ScimError } from '../../scim/errors.js'
import type { ScimRouteContext } from './scim.routes.js'

export function registerUserRoutes (scope: FastifyInstance, _context: ScimRouteContext): void {
  const notImplemented = async () => { throw ScimError.notImplemented('/Users is not available yet.') }
  scope.route({ method: ['GET', 'POST'], url: '/Users', schema: { hide: true }, handler: notImplemented })
  scope.route({ method: ['GET', 'PUT', 'PATCH', 'DELETE'], url: '/Users/:id', schema: { hide: true }, handler: notImplemented })
}
