/**
 * The server root (RFC 7644 §3.4.2.1, §3.4.3): `GET /scim/v2/?filter=…` (also without the
 * trailing slash) and `POST /scim/v2/.search` answer one ListResponse over Users and Groups.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RootSearchScope } from '../../services/root-search.service.js'
import { scimBaseUrl } from '../base-url.js'
import { organizationOf } from '../plugins/auth.js'
import { sendScimDocument } from '../scim-reply.js'
import { ROOT_ROUTE_SCHEMAS } from '../route-schemas.js'
import { listInputFromQuery, listInputFromSearchBody } from './list-query.js'
import type { ScimRouteContext } from './scim.routes.js'

export function registerRootRoutes (scope: FastifyInstance, context: ScimRouteContext): void {
  const { services, config } = context
  const scopeOf = (request: FastifyRequest): RootSearchScope => ({
    organizationId: organizationOf(request).id,
    baseUrl: scimBaseUrl(request, config)
  })

  // Members and groups stream (http/scim-reply.ts), as on /Users and /Groups.
  scope.get('/', { config: { scope: 'scim:read' }, schema: ROOT_ROUTE_SCHEMAS.list }, async (request, reply) => {
    return await sendScimDocument(request, reply, await services.root.list(scopeOf(request), listInputFromQuery(request.query)))
  })

  scope.post('/.search', { config: { scope: 'scim:read' }, schema: ROOT_ROUTE_SCHEMAS.search }, async (request, reply) => {
    return await sendScimDocument(request, reply, await services.root.list(scopeOf(request), listInputFromSearchBody(request.body)))
  })
}
