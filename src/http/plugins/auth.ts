/**
 * Authentication and authorization for every route of the application, in one place.
 *
 * Each route declares its decision in its definition: `config: { scope: 'scim:read' }` (the
 * scope a token needs; see services/token-scopes.ts) or `config: { scope: 'public' }` (no
 * token). A route without a decision stops the application from starting (checked when it
 * becomes ready), and would be refused at request time anyway: nothing is open by omission.
 *
 * A token belongs to one organization; the request carries that organization from here on,
 * and every service call is scoped by it. Unknown endpoints answer 404 to anyone: the list
 * of endpoints is public (the OpenAPI document) and a 404 reveals no data.
 */
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { EventActor } from '../../repositories/event.repository.js'
import { ScimError } from '../../scim/errors.js'
import { extractToken, type AuthenticatedOrganization, type TokenService, type TokenVerdict } from '../../services/token.service.js'
import { isRouteScope, isTokenScope, type RouteScope, type TokenScope } from '../../services/token-scopes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route: the scope a token needs, or `public`. */
    scope?: RouteScope
  }
  interface FastifyRequest {
    organization?: AuthenticatedOrganization
  }
}

export interface RouteScopeEntry {
  readonly methods: readonly string[]
  readonly url: string
  /** Undefined when the route made no decision (the application then refuses to start). */
  readonly scope: RouteScope | undefined
}

/** The options of every route registered, read once all onRoute hooks have run. */
const registeredRoutes = new WeakMap<FastifyInstance, RouteOptions[]>()

/** Every route of the application with its scope decision (tests walk this list). */
export function listRouteScopes (app: FastifyInstance): RouteScopeEntry[] {
  return (registeredRoutes.get(app) ?? []).map(route => ({
    methods: ([] as string[]).concat(route.method),
    url: route.url,
    scope: isRouteScope(route.config?.scope) ? route.config.scope : undefined
  }))
}

/**
 * Marks the routes registered in `scope` (and its children) public unless they decide
 * otherwise: for routes defined by third-party plugins (the API docs UI), which take no
 * route config of ours.
 */
export function declarePublicRoutes (scope: FastifyInstance): void {
  scope.addHook('onRoute', route => {
    if (route.config?.scope === undefined) route.config = { ...route.config, scope: 'public' }
  })
}

function describe (route: RouteScopeEntry): string {
  return `${route.methods.join(',')} ${route.url}`
}

/** Must be called on the root instance before any route is registered. */
export function registerAuthorization (app: FastifyInstance, tokens: TokenService): void {
  const routes: RouteOptions[] = []
  registeredRoutes.set(app, routes)
  app.addHook('onRoute', route => { routes.push(route) })
  app.addHook('onReady', async () => {
    const undecided = listRouteScopes(app).filter(route => route.scope === undefined)
    if (undecided.length > 0) {
      throw new Error(`Routes without a scope decision (set config.scope to a token scope or 'public'): ${undecided.map(describe).join('; ')}`)
    }
  })

  // A callback hook: a token found in the cache is decided without a promise (most requests).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.is404) return done()
    const required = request.routeOptions.config.scope
    if (required === 'public') return done()
    // Fail closed: unreachable once onReady has checked every route.
    if (!isTokenScope(required)) return done(new Error(`Route ${request.method} ${request.routeOptions.url} has no scope decision`))
    const token = extractToken(request.headers.authorization)
    if (token === undefined) return done(ScimError.unauthorized())
    const verdict = tokens.verify(token)
    if (!(verdict instanceof Promise)) return decide(request, verdict, required, done)
    verdict.then(answer => { decide(request, answer, required, done) }, done)
  })
}

function decide (request: FastifyRequest, verdict: TokenVerdict, required: TokenScope, done: (error?: Error) => void): void {
  let organization: AuthenticatedOrganization
  try {
    organization = authorize(request, verdict, required)
  } catch (error) {
    done(error as Error)
    return
  }
  request.organization = organization
  done()
}

function authorize (request: FastifyRequest, verdict: TokenVerdict, required: TokenScope): AuthenticatedOrganization {
  if (verdict.kind === 'invalid') {
    throw ScimError.invalidToken('The bearer token is not valid or has been revoked.', 'The token is not valid')
  }
  if (verdict.kind === 'expired') {
    // Only the presented token's own expiry is told, nothing about any other token.
    throw ScimError.invalidToken(`The bearer token expired at ${verdict.expiresAt.toISOString()}; ask an administrator for a new one.`, 'The token expired')
  }
  const organization = verdict.organization
  if (!organization.scopes.includes(required)) {
    throw ScimError.insufficientScope(required,
      `This token lacks the scope ${required}, which ${request.method} ${request.routeOptions.url} needs (it has ${organization.scopes.join(', ')}).`)
  }
  return organization
}

/** The authenticated organization; only valid on routes that need a token. */
export function organizationOf (request: { organization?: AuthenticatedOrganization }): AuthenticatedOrganization {
  if (request.organization === undefined) throw ScimError.unauthorized()
  return request.organization
}

/** Who makes the changes of this request, for the change feed: the token and the request id. */
export function actorOf (request: FastifyRequest): EventActor {
  const organization = organizationOf(request)
  return { tokenId: organization.tokenId, tokenLabel: organization.tokenLabel, requestId: request.id }
}
