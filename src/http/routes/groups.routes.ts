/** /Groups routes (RFC 7644 §3.3–§3.6): parse, call one service method, set status and headers. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { GroupResult, GroupScope } from '../../services/group.service.js'
import { scimBaseUrl } from '../base-url.js'
import { etagOf, matchesIfNoneMatch, parseIfMatch } from '../etag.js'
import { actorOf, organizationOf } from '../plugins/auth.js'
import { sendScimDocument } from '../scim-reply.js'
import { asksForAttributes, listInputFromQuery, listInputFromSearchBody, projectionFromQuery } from './list-query.js'
import { resourceRouteSchemas } from '../route-schemas.js'
import type { ScimRouteContext } from './scim.routes.js'

interface IdParams { id: string }

const schemas = resourceRouteSchemas('Groups', 'Group', 204)

export function registerGroupRoutes (scope: FastifyInstance, context: ScimRouteContext): void {
  const { services, config } = context
  const groups = services.groups
  const scopeOf = (request: FastifyRequest): GroupScope => ({
    organizationId: organizationOf(request).id,
    actor: actorOf(request),
    baseUrl: scimBaseUrl(request, config)
  })
  const ifMatchOf = (request: FastifyRequest) => parseIfMatch(request.headers['if-match'])

  // Members stream (http/scim-reply.ts): the result is released once the response is over.
  const sendGroup = async (request: FastifyRequest, reply: FastifyReply, result: GroupResult, status = 200) => {
    reply.header('ETag', etagOf(result.version))
    return await sendScimDocument(request, reply, result, status)
  }

  // Okta's connection test: GET /Groups?startIndex=1&count=100, possibly on an empty tenant.
  scope.get('/Groups', { config: { scope: 'scim:read' }, schema: schemas.list }, async (request, reply) => {
    return await sendScimDocument(request, reply, await groups.list(scopeOf(request), listInputFromQuery(request.query)))
  })

  // RFC 7644 §3.4.3: a search with the parameters in the body.
  scope.post('/Groups/.search', { config: { scope: 'scim:read' }, schema: schemas.search }, async (request, reply) => {
    return await sendScimDocument(request, reply, await groups.list(scopeOf(request), listInputFromSearchBody(request.body)))
  })

  scope.post('/Groups', { config: { scope: 'scim:write' }, schema: schemas.create }, async (request, reply) => {
    const result = await groups.create(scopeOf(request), request.body, projectionFromQuery(request.query))
    reply.header('Location', `${scimBaseUrl(request, config)}/Groups/${result.id}`)
    return await sendGroup(request, reply, result, 201)
  })

  scope.get<{ Params: IdParams }>('/Groups/:id', { config: { scope: 'scim:read' }, schema: schemas.get }, async (request, reply) => {
    const result = await groups.get(scopeOf(request), request.params.id, projectionFromQuery(request.query))
    // RFC 7644 §3.14 / RFC 7232 §3.2: the client's copy is current.
    if (matchesIfNoneMatch(request.headers['if-none-match'], result.version)) {
      await result.release()
      return await reply.code(304).header('ETag', etagOf(result.version)).send()
    }
    return await sendGroup(request, reply, result)
  })

  scope.put<{ Params: IdParams }>('/Groups/:id', { config: { scope: 'scim:write' }, schema: schemas.replace }, async (request, reply) => {
    const result = await groups.replace(scopeOf(request), request.params.id, request.body, ifMatchOf(request), projectionFromQuery(request.query))
    return await sendGroup(request, reply, result)
  })

  // CLIENTS.md "Groups": 204 without a body (Entra: a body listing all members "isn't
  // advisable"), unless the request names attributes to return (RFC 7644 §3.5.2).
  scope.patch<{ Params: IdParams }>('/Groups/:id', { config: { scope: 'scim:write' }, schema: schemas.patch }, async (request, reply) => {
    const projection = projectionFromQuery(request.query)
    const patched = await groups.patch(scopeOf(request), request.params.id, request.body, ifMatchOf(request),
      asksForAttributes(projection) ? projection : undefined)
    // CLIENTS.md: removing a non-member succeeds; the log line helps when a sync drifts.
    if (patched.nonMembersRemoved > 0) request.log.info({ groupId: patched.id, nonMembersRemoved: patched.nonMembersRemoved }, 'PATCH removed ids that were not members')
    if (patched.result !== undefined) return await sendGroup(request, reply, patched.result)
    return reply.code(204).header('ETag', etagOf(patched.version)).send()
  })

  // JumpCloud's connection test deletes the group it created; memberships go, users stay.
  scope.delete<{ Params: IdParams }>('/Groups/:id', { config: { scope: 'scim:write' }, schema: schemas.delete }, async (request, reply) => {
    await groups.delete(scopeOf(request), request.params.id, ifMatchOf(request))
    return reply.code(204).send()
  })
}
