/** /Users routes (RFC 7644 §3.3–§3.6): parse, call one service method, set status and headers. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { UserResult, UserScope } from '../../services/user.service.js'
import { scimBaseUrl } from '../base-url.js'
import { etagOf, matchesIfNoneMatch, parseIfMatch } from '../etag.js'
import { actorOf, organizationOf } from '../plugins/auth.js'
import { sendScimDocument } from '../scim-reply.js'
import { listInputFromQuery, listInputFromSearchBody, projectionFromQuery } from './list-query.js'
import { resourceRouteSchemas } from '../route-schemas.js'
import type { ScimRouteContext } from './scim.routes.js'

interface IdParams { id: string }

const schemas = resourceRouteSchemas('Users', 'User', 200)

export function registerUserRoutes (scope: FastifyInstance, context: ScimRouteContext): void {
  const { services, config } = context
  const users = services.users
  const scopeOf = (request: FastifyRequest): UserScope => ({
    organizationId: organizationOf(request).id,
    actor: actorOf(request),
    baseUrl: scimBaseUrl(request, config)
  })
  const ifMatchOf = (request: FastifyRequest) => parseIfMatch(request.headers['if-match'])

  // `groups` may stream (http/scim-reply.ts): the result is released once the response is over.
  const sendUser = async (request: FastifyRequest, reply: FastifyReply, result: UserResult, status = 200) => {
    reply.header('ETag', etagOf(result.version))
    return await sendScimDocument(request, reply, result, status)
  }

  scope.get('/Users', { config: { scope: 'scim:read' }, schema: schemas.list }, async (request, reply) => {
    return await sendScimDocument(request, reply, await users.list(scopeOf(request), listInputFromQuery(request.query)))
  })

  // RFC 7644 §3.4.3: a search with the parameters in the body (filters too long for a URL).
  scope.post('/Users/.search', { config: { scope: 'scim:read' }, schema: schemas.search }, async (request, reply) => {
    return await sendScimDocument(request, reply, await users.list(scopeOf(request), listInputFromSearchBody(request.body)))
  })

  scope.post('/Users', { config: { scope: 'scim:write' }, schema: schemas.create }, async (request, reply) => {
    const result = await users.create(scopeOf(request), request.body, projectionFromQuery(request.query))
    reply.header('Location', `${scimBaseUrl(request, config)}/Users/${result.id}`)
    return await sendUser(request, reply, result, 201)
  })

  scope.get<{ Params: IdParams }>('/Users/:id', { config: { scope: 'scim:read' }, schema: schemas.get }, async (request, reply) => {
    const result = await users.get(scopeOf(request), request.params.id, projectionFromQuery(request.query))
    // RFC 7644 §3.14 / RFC 7232 §3.2: the client's copy is current.
    if (matchesIfNoneMatch(request.headers['if-none-match'], result.version)) {
      await result.release()
      return await reply.code(304).header('ETag', etagOf(result.version)).send()
    }
    return await sendUser(request, reply, result)
  })

  scope.put<{ Params: IdParams }>('/Users/:id', { config: { scope: 'scim:write' }, schema: schemas.replace }, async (request, reply) => {
    const result = await users.replace(scopeOf(request), request.params.id, request.body, ifMatchOf(request), projectionFromQuery(request.query))
    return await sendUser(request, reply, result)
  })

  // Entra documents 200 with the resource for a user PATCH (CLIENTS.md "Users"); Okta accepts it.
  scope.patch<{ Params: IdParams }>('/Users/:id', { config: { scope: 'scim:write' }, schema: schemas.patch }, async (request, reply) => {
    const result = await users.patch(scopeOf(request), request.params.id, request.body, ifMatchOf(request), projectionFromQuery(request.query))
    return await sendUser(request, reply, result)
  })

  scope.delete<{ Params: IdParams }>('/Users/:id', { config: { scope: 'scim:write' }, schema: schemas.delete }, async (request, reply) => {
    await users.delete(scopeOf(request), request.params.id, ifMatchOf(request))
    return reply.code(204).send()
  })
}
