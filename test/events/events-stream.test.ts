/**
 * GET /api/v1/events/stream: live changes as Server-Sent Events, resumable with
 * Last-Event-ID without loss or repetition, fed by changes of any instance, with heartbeats,
 * and ended by shutdown.
 */
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { FULL_ACCESS } from '../../src/services/token-scopes.js'
import { createTestDatabase } from '../helpers/database.js'
import { patchBody, scimClient } from '../groups/group-helpers.js'
import { connectSse } from './sse-client.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENV = { LOG_LEVEL: 'silent', ORG_MAX_CONCURRENT_REQUESTS: '0', RATE_LIMIT_PER_MINUTE: '0', EVENT_STREAM_HEARTBEAT_MS: '100', EVENTS_POLL_INTERVAL_MS: '200' }

t.test('event stream', async t => {
  // Two instances on one database: the stream is served by the first, changes come through either.
  const handle = await createTestDatabase(t)
  const config = loadConfig(ENV)
  const instance = async () => {
    const app = await buildApp(config, { db: handle.db, services: createServices(handle.db, config), ...(handle.listen !== undefined ? { listen: handle.listen } : {}) })
    return app
  }
  const streaming = await instance()
  const other = await instance()
  t.teardown(async () => { await other.close(); await streaming.close() })
  await streaming.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(streaming.server.address() as AddressInfo).port}/api/v1/events/stream`
  const created = await createServices(handle.db, config).tokens.create('acme', { scopes: FULL_ACCESS })
  const auth = { authorization: `Bearer ${created.token}` }
  const viaStreaming = scimClient(streaming, auth)
  const viaOther = scimClient(other, auth)
  const newUser = async (scim: typeof viaOther, name: string) => (await scim('POST', '/Users', { schemas: [USER], userName: `${name}@example.com` })).body.id as string

  t.test('live, resumable, from either instance', async t => {
    await newUser(viaStreaming, 'before-connecting')
    const first = await connectSse(url, auth)
    t.equal(first.status, 200)
    t.match(first.contentType, /^text\/event-stream/)
    const a = await newUser(viaStreaming, 'a')
    const b = await newUser(viaOther, 'b')
    const [ma, mb] = await first.next(2)
    t.same([JSON.parse(ma?.data ?? '').resourceId, JSON.parse(mb?.data ?? '').resourceId], [a, b], 'starts with the next change, not history')
    t.equal(ma?.event, 'change')
    first.close()

    // While disconnected.
    await viaOther('PATCH', `/Users/${a}`, patchBody({ op: 'replace', path: 'displayName', value: 'A' }))
    const c = await newUser(viaOther, 'c')
    await viaOther('DELETE', `/Users/${b}`)

    const resumed = await connectSse(url, { ...auth, 'last-event-id': mb?.id ?? '' })
    const missed = (await resumed.next(3)).map(m => JSON.parse(m.data))
    t.same(missed.map(e => [e.resourceId, e.operation]), [[a, 'patch'], [c, 'create'], [b, 'delete']], 'exactly what happened meanwhile, in order')
    const d = await newUser(viaOther, 'd')
    t.equal(JSON.parse((await resumed.next(1))[0]?.data ?? '').resourceId, d, 'and live again')
    t.ok(await resumed.comment(), 'an idle stream gets heartbeats')
    resumed.close()
  })

  t.test('filters and refusals', async t => {
    const groups = await connectSse(`${url}?resourceType=Group`, auth)
    await newUser(viaOther, 'not-a-group')
    const group = (await viaOther('POST', '/Groups', { displayName: 'Streamed' })).body.id as string
    t.equal(JSON.parse((await groups.next(1))[0]?.data ?? '').resourceId, group)
    groups.close()
    const bad = await connectSse(url, { ...auth, 'last-event-id': 'garbage' })
    t.equal(bad.status, 400)
    bad.close()
    const reader = await createServices(handle.db, config).tokens.create('acme', { scopes: ['scim:read'] })
    const refused = await connectSse(url, { authorization: `Bearer ${reader.token}` })
    t.equal(refused.status, 403)
    refused.close()
  })

  t.test('shutdown ends open streams and the server closes', async t => {
    const open = await connectSse(url, auth)
    await streaming.close()
    await open.ended
    t.pass('the stream ended')
  })
})
