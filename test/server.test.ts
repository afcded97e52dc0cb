/**
 * The real server process: starts on embedded Postgres with no setup, prints a first token
 * once, keeps data across restarts, and on SIGTERM finishes in-flight requests and exits 0.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startServer as start } from './helpers/server-process.js'

const SERVER = path.resolve(import.meta.dirname, '../src/server.ts')
const TS_LOADER = process.execArgv.filter(arg => arg.includes('@tapjs/typescript'))

function request (port: number, options: http.RequestOptions, body?: string): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, res => {
      let data = ''
      res.on('data', chunk => { data += String(chunk) })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

t.test('server lifecycle on embedded Postgres', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-server-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  const first = await start({ DATA_DIR: dataDir })
  t.teardown(() => first.child.kill('SIGKILL'))
  const token = /(scim_[A-Za-z0-9_-]{43})/.exec(first.stderr())?.[1]
  t.ok(token, 'a first token is printed when none exists')
  t.match(first.stdout(), /"level":40,[^\n]*PUBLIC_BASE_URL is not set/, 'a warning says URLs come from the Host header')
  const ready = await request(first.port, { path: '/health/ready' })
  t.equal(ready.status, 200)
  const spc = await request(first.port, { path: '/scim/v2/ServiceProviderConfig', headers: { authorization: `Bearer ${token}` } })
  t.equal(spc.status, 200, 'the printed token works')
  t.ok(fs.existsSync(path.join(dataDir, 'scim-service.lock')), 'the data directory is locked while serving')

  // An in-flight request: headers and half the body sent before SIGTERM, the rest after.
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'inflight@example.com' })
  const inflight = new Promise<number>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: first.port, method: 'POST', path: '/scim/v2/Users',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body) }
    }, res => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    req.write(body.slice(0, 10))
    setTimeout(() => {
      first.child.kill('SIGTERM')
      setTimeout(() => req.end(body.slice(10)), 300)
    }, 200)
  })
  const status = await inflight
  t.ok(status >= 200 && status < 600, `the in-flight request got an answer (${status})`)
  t.equal(await first.exit, 0, 'exits 0 after SIGTERM')
  t.notOk(fs.existsSync(path.join(dataDir, 'scim-service.lock')), 'the data directory is released')

  const second = await start({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'configured-token-0123456789abcdef0123' })
  t.teardown(() => second.child.kill('SIGKILL'))
  t.notMatch(second.stderr(), /scim_/, 'no new token is printed once one exists')
  const again = await request(second.port, { path: '/scim/v2/ServiceProviderConfig', headers: { authorization: `Bearer ${token}` } })
  t.equal(again.status, 200, 'data (the token) survived the restart')
  const configured = await request(second.port, { path: '/scim/v2/ServiceProviderConfig', headers: { authorization: 'configured-token-0123456789abcdef0123' } })
  t.equal(configured.status, 200, 'SCIM_BEARER_TOKEN is accepted')
  second.child.kill('SIGINT')
  t.equal(await second.exit, 0, 'exits 0 after SIGINT')
})

t.test('log lines are buffered but none is lost on a clean exit: one per request', async t => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-server-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const server = await start({ DATA_DIR: dataDir, SCIM_BEARER_TOKEN: 'configured-token-0123456789abcdef0123' })
  t.teardown(() => server.child.kill('SIGKILL'))
  const headers = { authorization: 'Bearer configured-token-0123456789abcdef0123' }
  const sent = 120
  for (let i = 0; i < sent; i++) {
    const res = await request(server.port, { path: i % 2 === 0 ? '/scim/v2/Users?count=1' : '/scim/v2/ServiceProviderConfig', headers })
    t.equal(res.status, 200, `request ${i}`, { diagnostic: false })
  }
  // At once: the last lines are still in the buffer (well under its 4 KiB block, under its 1 s tick).
  server.child.kill('SIGTERM')
  t.equal(await server.exit, 0)
  const lines = server.stdout().split('\n').filter(line => line.trim() !== '').map(line => JSON.parse(line) as Record<string, unknown>)
  const requests = lines.filter(line => line.msg === 'request')
  t.equal(requests.length, sent, 'one line per request, all written before the exit')
  t.equal(new Set(requests.map(line => line.reqId)).size, sent, 'each with its own request id')
  t.ok(lines.findIndex(line => line.msg === 'shutting down') > lines.findIndex(line => line.msg === 'request'), 'in order')
})

t.test('a bad configuration stops the server with a clear message', async t => {
  const child = spawn(process.execPath, [...TS_LOADER, SERVER], { env: { PATH: process.env.PATH, PORT: 'abc' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', chunk => { err += String(chunk) })
  const code = await new Promise(resolve => child.on('exit', resolve))
  t.equal(code, 1)
  t.match(err, /PORT must be an integer/)
})

t.test('a SCIM_BEARER_TOKEN shorter than the documented minimum stops the server', async t => {
  const child = spawn(process.execPath, [...TS_LOADER, SERVER], { env: { PATH: process.env.PATH, SCIM_BEARER_TOKEN: 'a' }, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', chunk => { err += String(chunk) })
  const code = await new Promise(resolve => child.on('exit', resolve))
  t.equal(code, 1)
  t.match(err, /SCIM_BEARER_TOKEN must be at least 32 characters/)
})
