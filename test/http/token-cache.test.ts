/**
 * Tokens are cached in memory per instance (TokenService). A revocation must still take
 * effect at once on every instance (migration 0008 announces token changes, each app listens),
 * and within TOKEN_CACHE_TTL_MS when an announcement is lost. Two app instances on one real
 * Postgres database, as two servers behind a load balancer would be.
 */
import t from 'tap'
import { Writable } from 'node:stream'
import { sql } from 'kysely'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { createTestDatabase, usingEmbedded } from '../helpers/database.js'

const sink = (): Writable => new Writable({ write (_chunk, _encoding, callback) { callback() } })

t.test('token cache across two instances', { skip: usingEmbedded() && 'embedded Postgres serves one process: its own writes invalidate (auth.test.ts)' }, async t => {
  const handle = await createTestDatabase(t)
  const instance = async (ttl: number) => {
    const config = loadConfig({ LOG_LEVEL: 'warn', TOKEN_CACHE_TTL_MS: String(ttl) })
    const services = createServices(handle.db, config)
    const app = await buildApp(config, { db: handle.db, services, logStream: sink(), listen: handle.listen })
    t.teardown(() => app.close())
    const status = async (token: string): Promise<number> =>
      (await app.inject({ method: 'GET', url: '/scim/v2/Users?count=1', headers: { authorization: `Bearer ${token}` } })).statusCode
    return { app, services, status }
  }
  // Long TTLs: only the announcement can make these instances notice a revocation in time.
  const a = await instance(60_000)
  const b = await instance(60_000)

  /** Polls until `token` is refused; the milliseconds it took. */
  const refusedWithin = async (status: (token: string) => Promise<number>, token: string, limitMs: number): Promise<number> => {
    const started = Date.now()
    while (Date.now() - started < limitMs) {
      if (await status(token) === 401) return Date.now() - started
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return Infinity
  }

  t.test('revoked through one instance: refused by the other at once', async t => {
    const created = await a.services.tokens.create('acme')
    t.equal(await a.status(created.token), 200)
    t.equal(await b.status(created.token), 200, 'b has it cached now')
    t.equal(await a.services.tokens.revoke(created.id), true)
    t.equal(await a.status(created.token), 401, 'the revoking instance refuses it from the next request')
    t.ok(await refusedWithin(b.status, created.token, 2000) < 2000, 'the other instance refuses it well before its cache would expire')
  })

  t.test('revoked in the database by another process (admin CLI): refused by both', async t => {
    const created = await a.services.tokens.create('acme')
    t.equal(await a.status(created.token), 200)
    t.equal(await b.status(created.token), 200)
    await sql`update api_tokens set revoked_at = now() where id = ${created.id}::uuid`.execute(handle.db)
    t.ok(await refusedWithin(a.status, created.token, 2000) < 2000)
    t.ok(await refusedWithin(b.status, created.token, 2000) < 2000)
  })

  t.test('deleting the organization drops its tokens everywhere', async t => {
    const created = await a.services.tokens.create('initech')
    t.equal(await b.status(created.token), 200)
    await sql`delete from organizations where id = ${created.organization.id}::uuid`.execute(handle.db)
    t.ok(await refusedWithin(b.status, created.token, 2000) < 2000)
  })

  t.test('recording use (last_used_at) is not announced; other changes are, once per row', async t => {
    const created = await a.services.tokens.create('acme')
    const heard: string[] = []
    const subscription = handle.listen!({ channel: 'scim_api_tokens', onNotification: id => heard.push(id), onReady: () => {} })
    t.teardown(() => subscription.close())
    t.equal(await subscription.ready, true)
    await sql`update api_tokens set last_used_at = now() where id = ${created.id}::uuid`.execute(handle.db)
    await sql`update api_tokens set label = 'renamed' where id = ${created.id}::uuid`.execute(handle.db)
    for (let i = 0; i < 50 && heard.length === 0; i++) await new Promise(resolve => setTimeout(resolve, 20))
    await new Promise(resolve => setTimeout(resolve, 200))
    t.same(heard, [created.id])
  })

  t.test('with announcements lost, the TTL is the bound', async t => {
    const c = await instance(1000)
    const created = await a.services.tokens.create('acme')
    t.equal(await c.status(created.token), 200)
    await sql`alter table api_tokens disable trigger api_tokens__announce_update`.execute(handle.db)
    t.teardown(async () => { await sql`alter table api_tokens enable trigger api_tokens__announce_update`.execute(handle.db) })
    const revokedAt = Date.now()
    await sql`update api_tokens set revoked_at = now() where id = ${created.id}::uuid`.execute(handle.db)
    if (Date.now() - revokedAt < 500) t.equal(await c.status(created.token), 200, 'still cached right after (the documented staleness)')
    const took = await refusedWithin(c.status, created.token, 3000)
    t.ok(took <= 1000 + 200, `refused within the 1 s TTL (after ${took} ms)`)
  })

  t.test('a lost listener connection comes back and everything cached is dropped', async t => {
    const created = await a.services.tokens.create('acme')
    t.equal(await b.status(created.token), 200)
    const listeners = async () => (await sql<{ pid: number }>`select pid from pg_stat_activity
      where datname = current_database() and query ilike 'listen "scim_api_tokens"%'`.execute(handle.db)).rows.map(row => row.pid)
    const before = await listeners()
    // a, b and c (the previous subtest's instance, closed with the parent): one connection each
    // for token changes (the change feed listens on a connection of its own).
    t.equal(before.length, 3, 'one listening connection per instance')
    await sql`select pg_terminate_backend(pid) from unnest(${before}::int[]) as t(pid)`.execute(handle.db)
    let after: number[] = []
    for (let i = 0; i < 100 && after.filter(pid => !before.includes(pid)).length < before.length; i++) {
      await new Promise(resolve => setTimeout(resolve, 50))
      after = await listeners()
    }
    t.equal(after.filter(pid => !before.includes(pid)).length, before.length, 'every instance listens again')
    await sql`update api_tokens set revoked_at = now() where id = ${created.id}::uuid`.execute(handle.db)
    t.ok(await refusedWithin(b.status, created.token, 2000) < 2000, 'announcements reach the instance again')
  })
})
