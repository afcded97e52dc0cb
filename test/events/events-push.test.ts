/**
 * Push delivery: every change reaches each receiver of its organization as a Security Event
 * Token (RFC 8417, RFC 9967), POSTed per RFC 8935, signed with the organization's key and
 * verified by a receiver that knows only the RFCs and the published JWKS; retried after
 * failures, refused SETs not resent, a receiver that keeps failing marked failing until
 * enabled, and two instances sharing the queue without pushing anything twice.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { ReceiverService } from '../../src/services/receiver.service.js'
import { isNonPublicAddress } from '../../src/services/receiver-address.js'
import { createServices } from '../../src/services/services.js'
import { build } from '../helpers/app.js'
import { patchBody, scimClient } from '../groups/group-helpers.js'
import { eventually, startReceiver, type Reply, type ReceivedSet } from './set-receiver.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const BASE = 'https://id.example.test'
const ENV = {
  PUBLIC_BASE_URL: BASE, EVENT_RECEIVERS_ALLOW_PRIVATE: 'true', EVENT_DELIVERY_RETRY_BASE_MS: '20', EVENT_DELIVERY_MAX_ATTEMPTS: '3',
  EVENTS_POLL_INTERVAL_MS: '50', EVENT_DELIVERY_TIMEOUT_MS: '2000'
}

/** The JWKS at the issuer's published location, fetched as any receiver would (here through the app). */
function keysFrom (app: FastifyInstance) {
  return async (issuer: string) => {
    const url = new URL(`${issuer}/jwks.json`)
    if (url.origin !== BASE) throw new Error(`unexpected issuer ${issuer}`)
    const response = await app.inject({ method: 'GET', url: url.pathname })
    if (response.statusCode !== 200) throw new Error(`JWKS ${response.statusCode}`)
    return JSON.parse(response.body)
  }
}

async function register (app: FastifyInstance, auth: { authorization: string }, url: string, audience?: string) {
  const response = await app.inject({
    method: 'POST', url: '/api/v1/receivers', headers: auth, payload: { url, ...(audience !== undefined ? { audience } : {}) }
  })
  return { status: response.statusCode, body: JSON.parse(response.body) }
}

async function receiverState (app: FastifyInstance, auth: { authorization: string }, id: string) {
  return JSON.parse((await app.inject({ method: 'GET', url: `/api/v1/receivers/${id}`, headers: auth })).body)
}

const statusOf = async (work: Promise<unknown>): Promise<number> => await work.then(() => 0, (error: { status?: number }) => error.status ?? -1)

const eventOf = (set: ReceivedSet): [string, unknown] => Object.entries(set.claims.events)[0] as [string, unknown]

t.test('SETs are signed, verifiable with the published JWKS, and say what changed', async t => {
  const { app, auth, db } = await build(t, ENV)
  const receiver = await startReceiver({ keysFor: keysFrom(app) })
  t.teardown(receiver.close)
  const registered = await register(app, auth, receiver.url, 'urn:example:receiver')
  t.equal(registered.status, 201)
  const org = (await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id
  t.match(registered.body, { url: receiver.url, audience: 'urn:example:receiver', state: 'active', issuer: `${BASE}/api/v1/organizations/${org}`, jwksUri: `${BASE}/api/v1/organizations/${org}/jwks.json` })

  const scim = scimClient(app, auth)
  const user = (await scim('POST', '/Users', { schemas: [USER], userName: 'pushed@example.com' }, { 'x-request-id': 'req-push-1' })).body.id as string
  await scim('PATCH', `/Users/${user}`, patchBody({ op: 'replace', path: 'displayName', value: 'Pushed' }))
  await scim('PUT', `/Users/${user}`, { schemas: [USER], userName: 'pushed@example.com', displayName: 'Pushed', title: 'T' })
  await scim('DELETE', `/Users/${user}`)
  t.ok(await eventually(() => receiver.received.length === 4))
  t.ok(receiver.received.every(set => set.verified), 'every signature verifies with the JWKS')
  t.ok(receiver.received.every(set => set.header.typ === 'secevent+jwt' && set.header.alg === 'ES256'))
  const [created, patched, put, deleted] = receiver.received as [ReceivedSet, ReceivedSet, ReceivedSet, ReceivedSet]
  t.match(created.claims, {
    iss: registered.body.issuer, aud: 'urn:example:receiver', txn: 'req-push-1', sub_id: { format: 'scim', uri: `/Users/${user}`, id: user }
  })
  t.same(eventOf(created), ['urn:ietf:params:scim:event:prov:create:notice', { attributes: ['active', 'userName', 'userType'], version: 'W/"1"' }])
  t.same(eventOf(patched), ['urn:ietf:params:scim:event:prov:patch:notice', { attributes: ['displayName'], version: 'W/"2"' }])
  t.same(eventOf(put), ['urn:ietf:params:scim:event:prov:put:notice', { attributes: ['title'], version: 'W/"3"' }])
  t.same(eventOf(deleted), ['urn:ietf:params:scim:event:prov:delete', {}])
  t.equal(new Set(receiver.received.map(set => set.claims.jti)).size, 4)

  const jwks = JSON.parse((await app.inject({ method: 'GET', url: `/api/v1/organizations/${org}/jwks.json` })).body)
  t.ok(jwks.keys.length >= 1 && jwks.keys.every((key: Record<string, unknown>) => key.d === undefined), 'no private key material is published')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/organizations/00000000-0000-4000-8000-000000000000/jwks.json' })).statusCode, 404)

  const spc = (await scim('GET', '/ServiceProviderConfig')).body
  t.same(spc.securityEvents, {
    asyncRequest: 'none',
    eventUris: ['urn:ietf:params:scim:event:prov:create:notice', 'urn:ietf:params:scim:event:prov:put:notice', 'urn:ietf:params:scim:event:prov:patch:notice', 'urn:ietf:params:scim:event:prov:delete']
  })
  // The receiver has answered; the queue row goes once the answer is back.
  t.ok(await eventually(async () => (await receiverState(app, auth, registered.body.id)).pending === 0), 'nothing left queued')
})

t.test('failures are retried in order per resource; a refusal is kept and not resent; a receiver that keeps failing waits to be enabled', async t => {
  const { app, auth } = await build(t, ENV)
  let mode: 'flaky' | 'down' | 'up' = 'flaky'
  const answer = (set: ReceivedSet, attempt: number): Reply => {
    if (set.claims.sub_id.uri.includes('refuse')) return { status: 202 }
    if (mode === 'down') return { status: 500 }
    if (eventOf(set)[0].endsWith('put:notice')) return { status: 400, body: { err: 'invalid_audience', description: 'not for us' } }
    return mode === 'flaky' && attempt <= 2 ? { status: 503 } : { status: 202 }
  }
  const receiver = await startReceiver({ keysFor: keysFrom(app), answer })
  t.teardown(receiver.close)
  const { body: registered } = await register(app, auth, receiver.url)
  const scim = scimClient(app, auth)
  const ids: string[] = []
  for (const name of ['r1', 'r2']) ids.push((await scim('POST', '/Users', { schemas: [USER], userName: `${name}@example.com` })).body.id as string)
  for (const id of ids) await scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Again' }))
  await scim('PUT', `/Users/${ids[0]}`, { schemas: [USER], userName: 'r1@example.com', title: 'refused' })
  await scim('PATCH', `/Users/${ids[0]}`, patchBody({ op: 'replace', path: 'displayName', value: 'After the refusal' }))
  t.ok(await eventually(() => receiver.received.length === 5))
  for (const id of ids) {
    const versions = receiver.received.filter(set => set.claims.sub_id.id === id).map(set => (eventOf(set)[1] as { version: string }).version)
    t.same(versions, id === ids[0] ? ['W/"1"', 'W/"2"', 'W/"4"'] : ['W/"1"', 'W/"2"'], 'each resource in order, despite the retries')
  }
  t.ok(receiver.attempts.length >= 5 + 4 * 2, 'every SET but the refused one needed three attempts')
  // The receiver has answered; the queue rows go once the answers are back.
  t.ok(await eventually(async () => (await receiverState(app, auth, registered.id)).pending === 0))
  const after = await receiverState(app, auth, registered.id)
  t.match(after, { state: 'active', pending: 0, rejected: 1, lastError: /^HTTP (400 invalid_audience: not for us|503)$/ })

  mode = 'down'
  const third = (await scim('POST', '/Users', { schemas: [USER], userName: 'r3@example.com' })).body.id as string
  t.ok(await eventually(async () => (await receiverState(app, auth, registered.id)).state === 'failing'))
  const failing = await receiverState(app, auth, registered.id)
  t.match(failing, { state: 'failing', pending: 1, lastError: 'HTTP 500' })
  t.equal(receiver.attempts.filter(jti => jti === receiver.attempts[receiver.attempts.length - 1]).length, 3, 'EVENT_DELIVERY_MAX_ATTEMPTS attempts')
  await scim('PATCH', `/Users/${third}`, patchBody({ op: 'replace', path: 'displayName', value: 'Queued' }))
  const attemptsWhileFailing = receiver.attempts.length
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(receiver.attempts.length, attemptsWhileFailing, 'nothing is pushed to a failing receiver')

  mode = 'up'
  const enabled = await app.inject({ method: 'POST', url: `/api/v1/receivers/${registered.id}/enable`, headers: auth })
  t.equal(enabled.statusCode, 200)
  t.ok(await eventually(() => receiver.received.filter(set => set.claims.sub_id.id === third).length === 2), 'what waited goes out, in order')
  t.same(receiver.received.filter(set => set.claims.sub_id.id === third).map(set => eventOf(set)[0].split(':').slice(-2).join(':')), ['create:notice', 'patch:notice'])
})

t.test('two instances share the queue: every SET once, never two pushes of one at a time', async t => {
  const { app, auth, db } = await build(t, ENV)
  const config = loadConfig({ LOG_LEVEL: 'silent', ORG_MAX_CONCURRENT_REQUESTS: '0', RATE_LIMIT_PER_MINUTE: '0', ...ENV })
  const second = await buildApp(config, { db, services: createServices(db, config) })
  t.teardown(() => second.close())
  await second.ready()
  const receiver = await startReceiver({ keysFor: keysFrom(app), delayMs: 15 })
  t.teardown(receiver.close)
  await register(app, auth, receiver.url)
  const scim = scimClient(app, auth)
  const users = 30
  await Promise.all(Array.from({ length: users }, async (_, n) => await scim('POST', '/Users', { schemas: [USER], userName: `shared${n}@example.com` })))
  t.ok(await eventually(() => receiver.received.length >= users))
  await new Promise(resolve => setTimeout(resolve, 200))
  const jtis = receiver.received.map(set => set.claims.jti)
  t.equal(jtis.length, users)
  t.equal(new Set(jtis).size, users, 'no SET delivered twice')
  t.equal(receiver.attempts.length, users, 'no SET even attempted twice')
  t.equal(receiver.maxConcurrentPerJti, 1)
})

t.test('receivers: only public https addresses unless allowed, unique per organization, scoped, and only with PUBLIC_BASE_URL', async t => {
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
    t.ok(isNonPublicAddress(address), address)
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) t.notOk(isNonPublicAddress(address), address)

  const { app, auth, db, services } = await build(t, ENV)
  const org = (await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id
  const strict = new ReceiverService(db, { publicBaseUrl: BASE, allowPrivate: false })
  for (const url of ['http://127.0.0.1:9/x', 'https://127.0.0.1/x', 'https://10.0.0.7/x', 'https://[::1]/x', 'https://localhost/x', 'https://user:pw@example.com/x', 'ftp://example.com', 'not a url']) {
    t.equal(await statusOf(strict.register(org, { url })), 400, url)
  }
  t.equal(await statusOf(new ReceiverService(db, { publicBaseUrl: undefined, allowPrivate: true }).register(org, { url: 'http://127.0.0.1/x' })), 503)

  t.equal((await register(app, auth, 'http://127.0.0.1:9/dup')).status, 201)
  t.equal((await register(app, auth, 'http://127.0.0.1:9/dup')).status, 409)
  t.equal((await register(app, auth, 'nonsense')).status, 400)
  const reader = await services.tokens.create('acme', { scopes: ['events:read'] })
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/receivers', headers: { authorization: `Bearer ${reader.token}` } })).statusCode, 403)
  const other = await services.tokens.create('globex', { scopes: ['events:manage'] })
  const otherAuth = { authorization: `Bearer ${other.token}` }
  t.same(JSON.parse((await app.inject({ method: 'GET', url: '/api/v1/receivers', headers: otherAuth })).body), { receivers: [] })
  const mine = JSON.parse((await app.inject({ method: 'GET', url: '/api/v1/receivers', headers: auth })).body).receivers[0].id as string
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/receivers/${mine}`, headers: otherAuth })).statusCode, 404, 'another organization\'s receiver does not exist for it')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/receivers/${mine}`, headers: auth })).statusCode, 204)
})
