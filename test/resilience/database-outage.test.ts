/**
 * A sick database is a fast, clear 503: the service talks to Postgres through a proxy the
 * test controls, then the database goes down (connections reset, port closed), hangs (bytes
 * stop flowing) and comes back. Deadlines here are short so the test is quick; the
 * production defaults are in config.ts.
 */
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { createPostgresDatabase, servingPostgresOptions } from '../../src/db/database.js'
import { classifyDatabaseFailure } from '../../src/db/database-errors.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { createTestDatabaseUrl, usingEmbedded } from '../helpers/database.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'
import { sql } from 'kysely'

if (usingEmbedded()) {
  t.pass('embedded Postgres has no network: connect, acquire and query deadlines do not apply (README)')
} else {
  t.test('database outages', async t => {
    const url = await createTestDatabaseUrl(t)
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(url).port || 5432) })
    t.teardown(() => proxy.close())

    const config = loadConfig({
      LOG_LEVEL: 'info',
      DATABASE_URL: proxy.urlFor(url),
      DATABASE_POOL_SIZE: '3',
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_ACQUIRE_TIMEOUT_MS: '800',
      DATABASE_QUERY_TIMEOUT_MS: '1500',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000'
    })
    const handle = createPostgresDatabase(config.databaseUrl as string, servingPostgresOptions(config))
    t.teardown(() => handle.close())
    const logs: Array<Record<string, unknown>> = []
    const logStream = new Writable({
      write (chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line))
        callback()
      }
    })
    const services = createServices(handle.db, config)
    const app = await buildApp(config, { db: handle.db, services, logStream, poolStats: handle.stats! })
    t.teardown(() => app.close())
    const { token } = await services.tokens.create('acme')
    const auth = { authorization: `Bearer ${token}` }

    const timed = async (url: string) => {
      const started = Date.now()
      const response = await app.inject({ method: 'GET', url, headers: auth })
      return { response, ms: Date.now() - started }
    }
    const expectUnavailable = (t: Test, { response, ms }: Awaited<ReturnType<typeof timed>>, withinMs: number, what: string) => {
      t.equal(response.statusCode, 503, `${what}: 503`)
      t.match(response.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503', detail: /retry later|not reachable/ }, `${what}: SCIM error body`)
      t.equal(response.headers['retry-after'], '2', `${what}: Retry-After`)
      t.ok(ms < withinMs, `${what}: answered in ${ms} ms (< ${withinMs})`)
    }

    t.equal((await timed('/scim/v2/Users')).response.statusCode, 200, 'healthy through the proxy')

    await t.test('down: connections reset, port closed', async t => {
      await proxy.cut()
      const before = logs.length
      expectUnavailable(t, await timed('/scim/v2/Users'), 1000, 'GET /Users')
      expectUnavailable(t, await timed('/scim/v2/Groups'), 1000, 'GET /Groups')
      expectUnavailable(t, await timed('/health/ready'), 1000, '/health/ready')
      const lines = logs.slice(before)
      t.equal(lines.length, 3, 'one log line per failed request')
      for (const line of lines) {
        t.match(line, { msg: 'request', status: 503, failure: /^database unavailable: / })
        t.notOk('err' in line || /\n\s+at /.test(JSON.stringify(line)), 'no stack trace in the log')
      }
      await proxy.restore()
      t.equal((await timed('/scim/v2/Users')).response.statusCode, 200, 'recovers by itself once the database is back')
      t.equal((await timed('/health/ready')).response.statusCode, 200, 'ready again')
    })

    await t.test('hung: no bytes flow, connections stay open', async t => {
      await timed('/scim/v2/Users') // the pool holds a live connection that will now hang
      proxy.pause()
      expectUnavailable(t, await timed('/scim/v2/Users'), 2500, 'GET /Users on a hung connection')
      expectUnavailable(t, await timed('/health/ready'), 2000, '/health/ready')
      // More requests than connections: every one is answered by the query, connect or acquire deadline.
      const started = Date.now()
      const many = await Promise.all(Array.from({ length: 8 }, () => app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })))
      t.same(many.map(r => r.statusCode), Array(8).fill(503), 'eight concurrent requests on a pool of three: all 503')
      t.ok(Date.now() - started < 4000, `all answered in ${Date.now() - started} ms`)
      t.ok(logs.filter(l => l.status === 503).every(l => /^database (timeout|unavailable): /.test(String(l.failure))), 'each says why in one line')
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body
      t.match(metrics, /\nscim_database_errors_total\{kind="timeout"\} [1-9]/, 'timeouts are counted in /metrics')
      t.match(metrics, /\nscim_database_errors_total\{kind="unavailable"\} [1-9]/, 'and so are outages')
      await proxy.restore()
      // Answers held during the pause arrive late on connections the client gave up on:
      // those were destroyed, so nothing is misdelivered to the next query.
      for (let i = 0; i < 3; i++) t.equal((await timed('/scim/v2/Users')).response.statusCode, 200, `healthy again (${i + 1})`)
    })

    await t.test('a statement longer than statement_timeout is cancelled by Postgres', async t => {
      const error = await sql`select pg_sleep(3)`.execute(handle.db).then(() => undefined, (e: unknown) => e)
      t.equal((error as { code?: string }).code, '57014', 'query_canceled')
      t.equal(classifyDatabaseFailure(error), 'timeout', 'and it counts as a database timeout (503)')
      t.same((await sql<{ one: number }>`select 1 as one`.execute(handle.db)).rows, [{ one: 1 }], 'the pool is still usable')
    })
  })
}
