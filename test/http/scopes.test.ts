/**
 * Every route of the application against every scope: the list comes from the application
 * itself (every route registered, HEAD included), so a new route is covered the day it is
 * added, and a route without a scope decision fails here (the application does not even
 * start). The SCIM routes' decisions are also pinned below, so a change to one is a visible
 * change to this table.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { listRouteScopes } from '../../src/http/plugins/auth.js'
import { expandScopes, TOKEN_SCOPES, type RouteScope, type TokenScope } from '../../src/services/token-scopes.js'
import { build } from '../helpers/app.js'

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'

const READ = 'scim:read'
const WRITE = 'scim:write'

/** The decisions for the SCIM API (routes of other areas are checked against their own). */
const SCIM_DECISIONS: Record<string, RouteScope> = {
  'GET /scim/v2/ServiceProviderConfig': READ,
  'GET /scim/v2/ResourceTypes': READ,
  'GET /scim/v2/ResourceTypes/:name': READ,
  'GET /scim/v2/Schemas': READ,
  'GET /scim/v2/Schemas/:urn': READ,
  'GET /scim/v2/Me': READ,
  'POST /scim/v2/Me': READ,
  'PUT /scim/v2/Me': READ,
  'PATCH /scim/v2/Me': READ,
  'DELETE /scim/v2/Me': READ,
  'GET /scim/v2/Users': READ,
  'POST /scim/v2/Users/.search': READ,
  'GET /scim/v2/Users/:id': READ,
  'POST /scim/v2/Users': WRITE,
  'PUT /scim/v2/Users/:id': WRITE,
  'PATCH /scim/v2/Users/:id': WRITE,
  'DELETE /scim/v2/Users/:id': WRITE,
  'GET /scim/v2/Groups': READ,
  'POST /scim/v2/Groups/.search': READ,
  'GET /scim/v2/Groups/:id': READ,
  'POST /scim/v2/Groups': WRITE,
  'PUT /scim/v2/Groups/:id': WRITE,
  'PATCH /scim/v2/Groups/:id': WRITE,
  'DELETE /scim/v2/Groups/:id': WRITE,
  'POST /scim/v2/Bulk': WRITE,
  'GET /scim/v2': READ,
  'POST /scim/v2/.search': READ,
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /openapi.json': 'public',
  // The admin console's files: public (they hold no data; the API it calls checks the token).
  'GET /': 'public',
  'GET /console': 'public',
  'GET /console/*': 'public',
  'GET /console/assets/*': 'public',
  'HEAD /console/assets/*': 'public'
}

/**
 * Routes whose allowed answer never ends (an event stream): asked with a cursor they refuse
 * (400, after authorization), so that the allowed case answers at all.
 */
const ENDLESS: Record<string, string> = { '/api/v1/events/stream': '?after=not-a-cursor' }

/** A concrete URL for a route pattern: parameters and wildcards get harmless values. */
function concreteUrl (pattern: string): string {
  return (ENDLESS[pattern] === undefined ? pattern : pattern + ENDLESS[pattern])
    .replace(/:urn\b/, encodeURIComponent(USER_SCHEMA))
    .replace(/:name\b/, 'User')
    .replace(/:[A-Za-z_]+/g, () => randomUUID())
    .replace(/\*$/, 'index.html')
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])

t.test('every route against every scope', async t => {
  const { app, services, db } = await build(t)
  await app.ready()
  const routes = listRouteScopes(app).flatMap(route => route.methods.map(method => ({ method, url: route.url, scope: route.scope })))
  t.ok(routes.length >= Object.keys(SCIM_DECISIONS).length, 'the route list comes from the application')

  t.test('every route has a decision', async t => {
    for (const route of routes) t.ok(route.scope !== undefined, `${route.method} ${route.url} has a scope decision`)
  })

  t.test('the SCIM routes have the decisions in this table', async t => {
    const actual = new Map(routes.map(route => [`${route.method} ${route.url}`, route.scope]))
    for (const [route, scope] of Object.entries(SCIM_DECISIONS)) t.equal(actual.get(route), scope, route)
  })

  // One token per single grant; each grant brings what it implies (write brings read).
  const tokens = new Map<TokenScope, string>()
  for (const scope of TOKEN_SCOPES) tokens.set(scope, (await services.tokens.create('acme', { scopes: [scope] })).token)
  const usersBefore = await db.selectFrom('users').select(eb => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()

  for (const route of routes) {
    t.test(`${route.method} ${route.url} (${route.scope})`, async t => {
      const url = concreteUrl(route.url)
      const request = (authorization?: string) => app.inject({
        method: route.method as 'GET',
        url,
        headers: {
          ...(authorization !== undefined ? { authorization } : {}),
          ...(BODY_METHODS.has(route.method) ? { 'content-type': 'application/scim+json' } : {})
        },
        ...(BODY_METHODS.has(route.method) ? { payload: '{}' } : {})
      })

      if (route.scope === 'public') {
        const res = await request()
        t.notOk([401, 403].includes(res.statusCode), `public: answered ${res.statusCode} without a token`)
        return
      }
      const required = route.scope as TokenScope

      const anonymous = await request()
      t.equal(anonymous.statusCode, 401, 'no token: 401')
      t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="scim"', 'no token: a bare challenge (RFC 6750 §3.1)')

      for (const [grant, token] of tokens) {
        const res = await request(`Bearer ${token}`)
        if (expandScopes([grant]).includes(required)) {
          t.notOk([401, 403].includes(res.statusCode), `${grant}: allowed (answered ${res.statusCode})`)
          continue
        }
        t.equal(res.statusCode, 403, `${grant}: 403`)
        t.equal(res.headers['www-authenticate'], `Bearer realm="scim", error="insufficient_scope", scope="${required}"`, `${grant}: challenge`)
        if (route.method !== 'HEAD') {
          t.match(res.headers['content-type'], 'application/scim+json')
          t.match(res.json(), { schemas: [ERROR_URN], status: '403', detail: new RegExp(`lacks the scope ${required}`) }, `${grant}: SCIM error body`)
        }
      }
    })
  }

  t.test('nothing was written by a refused request', async t => {
    const after = await db.selectFrom('users').select(eb => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
    t.equal(Number(after.n), Number(usersBefore.n))
  })
})

t.test('a route without a scope decision stops the application from starting', async t => {
  const { app } = await build(t)
  app.get('/scim/v2/Undecided', async () => ({ open: true }))
  await t.rejects(async () => { await app.ready() }, /Routes without a scope decision.*GET \/scim\/v2\/Undecided/)
})

t.test('a read-only token is refused a whole Bulk; a write token runs it', async t => {
  const { app, services } = await build(t)
  const reader = await services.tokens.create('acme', { scopes: ['scim:read'], label: 'HR app' })
  const bulk = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [{ method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER_SCHEMA], userName: 'bulk.ann@example.com' } }]
  }
  const send = (token: string) => app.inject({
    method: 'POST', url: '/scim/v2/Bulk', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, payload: bulk
  })
  const refused = await send(reader.token)
  t.equal(refused.statusCode, 403)
  t.match(refused.headers['www-authenticate'], 'scope="scim:write"')
  const filter = `/scim/v2/Users?filter=${encodeURIComponent('userName eq "bulk.ann@example.com"')}`
  const read = await app.inject({ method: 'GET', url: filter, headers: { authorization: `Bearer ${reader.token}` } })
  t.equal(read.statusCode, 200, 'the read-only token still reads')
  t.equal(read.json().totalResults, 0, 'nothing of the refused Bulk ran')

  const writer = await services.tokens.create('acme', { scopes: ['scim:write'] })
  const accepted = await send(writer.token)
  t.equal(accepted.statusCode, 200)
  t.match(accepted.json(), { Operations: [{ status: '201' }] })
})

t.test('events scopes do not open the SCIM API, and SCIM scopes do not open events', async t => {
  t.same(expandScopes(['events:manage']), ['events:read', 'events:manage'])
  t.same(expandScopes(['scim:write']), ['scim:read', 'scim:write'])
  t.same(expandScopes(['events:read', 'scim:read']), ['scim:read', 'events:read'])
  t.throws(() => expandScopes(['scim:admin']), /Unknown scope "scim:admin"/)
  t.throws(() => expandScopes([]), /at least one scope/)
})
