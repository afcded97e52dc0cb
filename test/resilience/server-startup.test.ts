/**
 * Start-up while the database is unreachable: the server retries with back-off up to
 * DATABASE_STARTUP_TIMEOUT_MS, starts once the database appears, or exits 1 with one clear
 * line (no stack). The database is reached through a proxy this test controls.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { createTestDatabaseUrl, usingEmbedded } from '../helpers/database.js'
import { TcpProxy } from '../helpers/tcp-proxy.js'

const SERVER = path.resolve(import.meta.dirname, '../../src/server.ts')
const TS_LOADER = process.execArgv.filter(arg => arg.includes('@tapjs/typescript'))

function startServer (env: Record<string, string>) {
  const child = spawn(process.execPath, [...TS_LOADER, SERVER], {
    env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: '1', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stdout.on('data', chunk => { out += String(chunk) })
  child.stderr.on('data', chunk => { err += String(chunk) })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  return { child, exit, stdout: () => out, stderr: () => err }
}

/** Polls `predicate` until it holds (true) or the server exits (false). */
function until (server: ReturnType<typeof startServer>, predicate: () => boolean): Promise<boolean> {
  return new Promise<boolean>(resolve => {
    const poll = setInterval(() => {
      if (predicate()) { clearInterval(poll); resolve(true) }
    }, 50)
    void server.exit.then(() => { clearInterval(poll); resolve(predicate()) })
  })
}

if (usingEmbedded()) {
  t.pass('embedded Postgres is opened in-process: there is nothing to wait for')
} else {
  t.test('start-up waits for the database', async t => {
    const url = await createTestDatabaseUrl(t)
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(url).port || 5432) })
    t.teardown(() => proxy.close())
    const env = { DATABASE_URL: proxy.urlFor(url), SCIM_BEARER_TOKEN: 'startup-test-token-0123456789abcdef', DATABASE_CONNECT_TIMEOUT_MS: '500' }

    await t.test('gives up at the deadline with one clear line', async t => {
      await proxy.cut()
      const server = startServer({ ...env, DATABASE_STARTUP_TIMEOUT_MS: '1500' })
      t.teardown(() => server.child.kill('SIGKILL'))
      t.equal(await server.exit, 1, 'exits non-zero')
      const lines = server.stderr().trim().split('\n')
      t.match(lines.at(-1), /^Failed to start: The database was not reachable within 2 s \(DATABASE_STARTUP_TIMEOUT_MS\): connect ECONNREFUSED/)
      t.ok(lines.slice(0, -1).every(line => /^Waiting for the database \(.+\); attempt \d+ in \d+ ms\.$/.test(line)), 'each retry is one short line')
      t.ok(lines.length >= 3, `it retried (${lines.length - 1} retries)`)
      t.notMatch(server.stderr(), /\n\s+at /, 'no stack trace')
    })

    await t.test('starts once the database appears', async t => {
      await proxy.cut()
      const server = startServer({ ...env, DATABASE_STARTUP_TIMEOUT_MS: '20000' })
      t.teardown(() => server.child.kill('SIGKILL'))
      t.ok(await until(server, () => /Waiting for the database.*\n.*Waiting for the database/.test(server.stderr())), 'waiting while the database is down')
      await proxy.restore()
      t.ok(await until(server, () => server.stdout().includes('"msg":"ready"')), 'the server is ready')
      t.match(server.stderr(), /The database is reachable \(after \d+ attempts\)/)
      server.child.kill('SIGTERM')
      t.equal(await server.exit, 0, 'and stops cleanly')
    })
  })
}
