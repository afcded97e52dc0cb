/**
 * Bearer-token authentication for everything under the SCIM base path. Each token belongs to
 * one organization; the request carries that organization from here on, and every service
 * call is scoped by it.
 */
import type { FastifyInstance } from 'fastify'
import { ScimError } from '../../scim/errors.js'
import { extractToken, type AuthenticatedOrganization, type TokenService } from '../../services/token.service.js'

declare module 'fastify' {
  interface FastifyRequest {
    organization?: AuthenticatedOrganization
  }
}

export function registerAuthentication (scope: FastifyInstance, tokens: TokenService): void {
  scope.addHook('onRequest', async request => {
    const token = extractToken(request.headers.authorization)
    if (token === undefined) throw ScimError.unauthorized()
    const organization = await tokens.authenticate(token)
    if (organization === undefined) throw ScimError.unauthorized('The bearer token is not valid or has been revoked.')
    request.organization = organization
  })
}

/** The authenticated organization; only valid inside the authenticated scope. */
export function organizationOf (request: { organization?: AuthenticatedOrganization }): AuthenticatedOrganization {
  if (request.organization === undefined) throw ScimError.unauthorized()
  return request.organization
}
