/**
 * Shutdown drops nothing, on the real server process: at SIGTERM an idle keep-alive socket
 * is closed, a request in flight on a keep-alive socket is answered with
 * `Connection: close`, a /Bulk in flight performs what it can before the shutdown deadline
 * and reports the rest per operation as 503, and the process exits 0.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { createTestDatabaseUrl, usingEmbedded } from '../helpers/database.js'
import { RawConnection, httpRequest, startServer } from '../helpers/server-process.js'

const TOKEN = 'shutdown-test-token-0123456789abcdef'
const AUTH = { authorization: `Bearer ${TOKEN}` }
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
// Far more than fit in the 6 s the bulk may work after SIGTERM, even on a fast quiet machine:
// 3,000 (about 1 ms each there) were once all done within 3 s.
const OPERATIONS = 30_000

t.test('SIGTERM with keep-alive clients and a /Bulk in flight', async t => {
  let env: Record<string, string>
  if (usingEmbedded()) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-shutdown-'))
    t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
    env = { DATA_DIR: dataDir }
  } else {
    env = { DATABASE_URL: await createTestDatabaseUrl(t) }
  }
  // 8 s to shut down: the bulk may start operations for 6 s of it, 2 s (the production
  // reserve) are kept to answer and close the pool (plugins/shutdown.ts). With 4 s, the 1 s
  // left to answer 30,000 operations was too short on a loaded machine (exit 1).
  env = { ...env, SCIM_BEARER_TOKEN: TOKEN, SHUTDOWN_TIMEOUT_MS: '8000', BULK_MAX_OPERATIONS: String(OPERATIONS), BULK_MAX_PAYLOAD_BYTES: String(16 * 1024 * 1024) }
  const server = await startServer(env)
  t.teardown(() => server.child.kill('SIGKILL'))

  const idle = await RawConnection.open(server.port)
  idle.write(httpRequest('GET', '/health/live', {}))
  t.equal((await idle.readResponse()).status, 200, 'an idle keep-alive connection, used once')

  const inflight = await RawConnection.open(server.port)
  const body = JSON.stringify({ schemas: [USER], userName: 'inflight@example.com' })
  const head = httpRequest('POST', '/scim/v2/Users', { ...AUTH, 'content-type': 'application/scim+json' }, body)
  inflight.write(head.slice(0, head.length - 10)) // headers and most of the body; the rest after SIGTERM

  const bulkConnection = await RawConnection.open(server.port)
  const operations = Array.from({ length: OPERATIONS }, (_, i) => ({
    method: 'POST', path: '/Users', bulkId: `u${i}`, data: { schemas: [USER], userName: `bulk-${i}@example.com` }
  }))
  bulkConnection.write(httpRequest('POST', '/scim/v2/Bulk', { ...AUTH, 'content-type': 'application/scim+json' },
    JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: operations })))
  // SIGTERM once the bulk is known to be working (its first users exist).
  const probe = await RawConnection.open(server.port)
  for (;;) {
    probe.write(httpRequest('GET', '/scim/v2/Users?count=0', AUTH))
    if (JSON.parse((await probe.readResponse()).body).totalResults > 0) break
  }
  probe.close()

  const signalled = Date.now()
  server.child.kill('SIGTERM')
  await idle.closedPromise
  t.pass(`the idle keep-alive connection is closed by the server (${Date.now() - signalled} ms after SIGTERM)`)
  await new Promise(resolve => setTimeout(resolve, 200))
  inflight.write(head.slice(head.length - 10))
  const created = await inflight.readResponse()
  t.equal(created.status, 201, 'the request in flight at SIGTERM is served')
  t.equal(created.headers.connection, 'close', 'with Connection: close')
  await inflight.closedPromise
  t.pass('and its connection is closed after the answer')

  const bulk = await bulkConnection.readResponse()
  t.equal(bulk.status, 200, 'the bulk request is answered, not failed whole')
  t.equal(bulk.headers.connection, 'close', 'with Connection: close')
  const results = JSON.parse(bulk.body).Operations as Array<{ status: string, bulkId: string, response?: { status: string, detail: string } }>
  t.equal(results.length, OPERATIONS, 'every operation is reported')
  const done = results.filter(r => r.status === '201').length
  const refused = results.filter(r => r.status === '503')
  t.equal(done + refused.length, OPERATIONS, 'each one created (201) or not performed (503)')
  t.ok(done > 0 && refused.length > 0, `the bulk worked until the deadline: ${done} created, ${refused.length} not performed`)
  t.match(refused[0]?.response, { status: '503', detail: /shutting down.*not performed/ }, 'the 503s say why')
  t.same(results.map(r => r.bulkId), operations.map(o => o.bulkId), 'in request order')
  t.equal(await server.exit, 0, `exits 0 (${Date.now() - signalled} ms after SIGTERM)`)
  t.match(server.stdout(), /"msg":"stopped"/, 'after closing the pool')

  const again = await startServer(env)
  t.teardown(() => again.child.kill('SIGKILL'))
  const check = await RawConnection.open(again.port)
  check.write(httpRequest('GET', '/scim/v2/Users?count=0', AUTH))
  t.equal(JSON.parse((await check.readResponse()).body).totalResults, done + 1, 'what was reported created exists, nothing else')
  check.close()
  again.child.kill('SIGTERM')
  t.equal(await again.exit, 0)
})
