/**
 * Hostile-request benchmark: the largest requests the service accepts (and the oversized
 * ones it must refuse), each sent alone while a probe asks `/health/live` every 10 ms and
 * `monitorEventLoopDelay` samples the loop. What matters is not how long the big request
 * takes but whether the process keeps answering meanwhile: an orchestrator restarts an
 * instance whose liveness check goes unanswered.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:hostile
 *
 * Env: BENCH_VALUES (MAX_MULTI_VALUED_VALUES, default 100), BENCH_OPERATIONS
 * (PATCH_MAX_OPERATIONS, default 1000), BENCH_OVERSIZE (the 8000 emails + 8000),
 * BENCH_WARM_REPEATS (4), BENCH_RESULTS_DIR (bench/results). Writes hostile.md there. Only HTTP is used, so the
 * same script measures an older build for a before/after comparison.
 */
import http from 'node:http'
import os from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { openBenchDatabase, startApp } from './lib/bench-database.js'
import { percentile, writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_hostile'
// Literal defaults (the service's MAX_MULTI_VALUED_VALUES / PATCH_MAX_OPERATIONS), so the
// script also runs against builds that predate src/scim/limits.ts.
const VALUES = Number(process.env.BENCH_VALUES ?? 100)
const OPERATIONS = Number(process.env.BENCH_OPERATIONS ?? 1000)
const OVERSIZE = Number(process.env.BENCH_OVERSIZE ?? 8000)
const PROBE_INTERVAL_MS = 10
const WARM_REPEATS = Number(process.env.BENCH_WARM_REPEATS ?? 4)
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'

interface Answer { status: number, body: string, ms: number }
interface Row { name: string, bytes: number, status: number, ms: number, loopMaxMs: number, loopP99Ms: number, probes: number, probeMaxMs: number, probeP99Ms: number }

function call (port: number, agent: http.Agent, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, agent, method, path,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body) } : {}) }
    }, res => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', chunk => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * The liveness probe runs in a worker thread: its own event loop, as an orchestrator's would
 * be, so a blocked server loop shows as a slow answer instead of also stalling the probe.
 * A probe still waiting when the request ends is counted with the time it has waited.
 */
const PROBE_SOURCE = `
const http = require('node:http')
const { parentPort, workerData } = require('node:worker_threads')
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
let running = true
let pending
parentPort.on('message', () => { running = false })
const probe = () => new Promise(resolve => {
  const started = performance.now()
  pending = started
  http.get({ host: '127.0.0.1', port: workerData.port, path: '/health/live', agent }, res => {
    res.resume()
    res.on('end', () => { pending = undefined; resolve(performance.now() - started) })
  }).on('error', () => resolve(NaN))
})
;(async () => {
  const latencies = []
  await probe()
  parentPort.postMessage({ ready: true })
  while (running) {
    latencies.push(await probe())
    await new Promise(resolve => setTimeout(resolve, workerData.interval))
  }
  agent.destroy()
  parentPort.postMessage({ latencies })
})()
`

/** Runs `request` while a worker probes /health/live on its own connection, sampling the loop. */
async function measure (name: string, port: number, body: string, request: () => Promise<Answer>): Promise<Row> {
  const worker = new Worker(PROBE_SOURCE, { eval: true, workerData: { port, interval: PROBE_INTERVAL_MS } })
  const messages: Array<{ ready?: boolean, latencies?: number[] }> = []
  let notify = (): void => {}
  worker.on('message', message => { messages.push(message); notify() })
  const next = async (): Promise<{ ready?: boolean, latencies?: number[] }> => {
    while (messages.length === 0) await new Promise<void>(resolve => { notify = resolve })
    return messages.shift() as { ready?: boolean, latencies?: number[] }
  }
  await next()
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  const answer = await request()
  histogram.disable()
  worker.postMessage('stop')
  const probes = ((await next()).latencies ?? []).filter(ms => !Number.isNaN(ms))
  await worker.terminate()
  probes.sort((a, b) => a - b)
  const row: Row = {
    name, bytes: Buffer.byteLength(body), status: answer.status, ms: answer.ms,
    loopMaxMs: histogram.max / 1e6, loopP99Ms: histogram.percentile(99) / 1e6,
    probes: probes.length, probeMaxMs: probes.at(-1) ?? NaN, probeP99Ms: percentile(probes, 0.99)
  }
  process.stderr.write(`${name}: ${answer.status} in ${answer.ms.toFixed(0)} ms, loop max ${row.loopMaxMs.toFixed(1)} ms, probe max ${row.probeMaxMs.toFixed(1)} ms\n`)
  if (answer.status >= 500) process.stderr.write(`  body: ${answer.body.slice(0, 200)}\n`)
  return row
}

/** One row holding the worst figure of each column of `rows` (all the same request). */
function worstOf (name: string, rows: Row[]): Row {
  const max = (pick: (row: Row) => number): number => Math.max(...rows.map(pick))
  return {
    name, bytes: rows[0]?.bytes ?? 0, status: max(r => r.status), ms: max(r => r.ms),
    loopMaxMs: max(r => r.loopMaxMs), loopP99Ms: max(r => r.loopP99Ms),
    probes: rows.reduce((sum, r) => sum + r.probes, 0), probeMaxMs: max(r => r.probeMaxMs), probeP99Ms: max(r => r.probeP99Ms)
  }
}

const emails = (prefix: string, count: number): unknown[] =>
  Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}@bench.example`, type: i % 2 === 0 ? 'work' : 'home' }))

/** A user with `count` values in every multi-valued attribute a client can write. */
function fullUser (userName: string, count: number): Record<string, unknown> {
  const many = (make: (i: number) => unknown): unknown[] => Array.from({ length: count }, (_, i) => make(i))
  return {
    schemas: [USER],
    userName,
    emails: emails(`${userName}.`, count),
    phoneNumbers: many(i => ({ value: `+1 555 ${String(i).padStart(7, '0')}`, type: 'work' })),
    ims: many(i => ({ value: `im${i}`, type: 'xmpp' })),
    photos: many(i => ({ value: `https://photos.example/${i}.png`, type: 'photo' })),
    addresses: many(i => ({ streetAddress: `${i} Main St`, locality: 'Town', type: 'work' })),
    entitlements: many(i => ({ value: `ent-${i}` })),
    roles: many(i => ({ value: `role-${i}` })),
    x509Certificates: many(i => ({ value: Buffer.from(`cert-${i}`).toString('base64') }))
  }
}

async function main (): Promise<void> {
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'silent', BODY_LIMIT_BYTES: String(16 * 1024 * 1024), BULK_MAX_PAYLOAD_BYTES: String(16 * 1024 * 1024) })
  const { app, port } = await startApp(bench)
  const { token } = await bench.services.tokens.create('bench-hostile')
  const headers = { authorization: `Bearer ${token}` }
  const agent = new http.Agent({ keepAlive: true })
  const rows: Row[] = []
  const send = (method: string, path: string, body?: unknown) => call(port, agent, method, path, headers, body === undefined ? undefined : JSON.stringify(body))
  const createUser = async (body: unknown): Promise<string> => {
    const answer = await send('POST', '/scim/v2/Users', body)
    if (answer.status !== 201) throw new Error(`setup POST /Users: ${answer.status} ${answer.body.slice(0, 200)}`)
    return (JSON.parse(answer.body) as { id: string }).id
  }
  const run = async (name: string, method: string, path: string, body: unknown): Promise<void> => {
    const text = JSON.stringify(body)
    rows.push(await measure(name, port, text, () => call(port, agent, method, path, headers, text)))
  }
  // An idempotent request sent 1 + WARM_REPEATS times: the first answer still pays for
  // compiling the code it runs (this process has not run it before), the others show a
  // running instance; the second row keeps the worst of them.
  const runCold = async (name: string, method: string, path: string, body: unknown): Promise<void> => {
    const text = JSON.stringify(body)
    rows.push(await measure(`${name}: first`, port, text, () => call(port, agent, method, path, headers, text)))
    const warm: Row[] = []
    for (let i = 0; i < WARM_REPEATS; i++) warm.push(await measure(`${name}: again`, port, text, () => call(port, agent, method, path, headers, text)))
    rows.push(worstOf(`${name}: worst of ${WARM_REPEATS} more`, warm))
  }

  try {
    // The probe's own noise floor on this machine, next to the requests.
    rows.push(await measure('baseline: no request, 1 s', port, '', () => new Promise(resolve => setTimeout(() => resolve({ status: 0, body: '', ms: 1000 }), 1000))))
    const half = Math.floor(VALUES / 2)
    const patched = await createUser({ schemas: [USER], userName: 'patched@bench.example', emails: emails('m', half) })
    await run(`PATCH add ${VALUES - half} emails to a user with ${half}`, 'PATCH', `/scim/v2/Users/${patched}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: emails('n', VALUES - half) }] })
    await runCold(`PATCH ${OPERATIONS} × replace emails[value eq …].type on ${VALUES} emails`, 'PATCH', `/scim/v2/Users/${patched}`,
      { schemas: [PATCH_OP], Operations: Array.from({ length: OPERATIONS }, (_, i) => ({ op: 'replace', path: `emails[value eq "${i % 2 === 0 ? 'm' : 'n'}${Math.floor(i / 2) % half}@bench.example"].type`, value: 'other' })) })
    await runCold(`PATCH ${OPERATIONS} × replace emails[value co …].type (no index can help) on ${VALUES} emails`, 'PATCH', `/scim/v2/Users/${patched}`,
      { schemas: [PATCH_OP], Operations: Array.from({ length: OPERATIONS }, (_, i) => ({ op: 'replace', path: `emails[value co "${i % 2 === 0 ? 'm' : 'n'}${Math.floor(i / 2) % half}@"].type`, value: 'home' })) })
    // Every value once (more would be noTarget): the list shrinks as the operations run.
    const removes = Math.min(OPERATIONS, 2 * half)
    await run(`PATCH ${removes} × remove emails[value eq …] on ${VALUES} emails`, 'PATCH', `/scim/v2/Users/${patched}`,
      { schemas: [PATCH_OP], Operations: Array.from({ length: removes }, (_, i) => ({ op: 'remove', path: `emails[value eq "${i % 2 === 0 ? 'm' : 'n'}${Math.floor(i / 2)}@bench.example"]` })) })

    await run(`POST a user with ${VALUES} values in each of 8 multi-valued attributes`, 'POST', '/scim/v2/Users', fullUser('full@bench.example', VALUES))
    const replaced = await createUser({ schemas: [USER], userName: 'put@bench.example' })
    await runCold(`PUT the same ${VALUES} × 8 values`, 'PUT', `/scim/v2/Users/${replaced}`, fullUser('put@bench.example', VALUES))

    await run(`Bulk of ${OPERATIONS} POST /Users`, 'POST', '/scim/v2/Bulk', {
      schemas: [BULK],
      Operations: Array.from({ length: OPERATIONS }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: { schemas: [USER], userName: `bulk${i}@bench.example`, emails: emails(`bulk${i}.`, 2) } }))
    })

    // What used to freeze the process (issue figures: 8.9 s for 8,000 + 8,000): now refused.
    const big = await createUser({ schemas: [USER], userName: 'big@bench.example', emails: emails('b', Math.min(OVERSIZE, VALUES)) })
    await run(`PATCH add ${OVERSIZE} emails to a user with ${Math.min(OVERSIZE, VALUES)} (over the limit)`, 'PATCH', `/scim/v2/Users/${big}`,
      { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: emails('c', OVERSIZE) }] })
    await run(`PATCH ${OVERSIZE / 2} × remove emails[value eq …] (over the operation limit)`, 'PATCH', `/scim/v2/Users/${big}`,
      { schemas: [PATCH_OP], Operations: Array.from({ length: OVERSIZE / 2 }, (_, i) => ({ op: 'remove', path: `emails[value eq "b${i}@bench.example"]` })) })
    const deep = `{"schemas":["${USER}"],"userName":"deep@bench.example","name":${'['.repeat(5000)}${']'.repeat(5000)}}`
    rows.push(await measure('POST a user whose name nests 5,000 arrays', port, deep, () => call(port, agent, 'POST', '/scim/v2/Users', headers, deep)))
  } finally {
    agent.destroy()
    await app.close()
    await bench.handle.close()
  }

  const lines = [
    '# Hostile requests benchmark', '',
    'Generated by `npm run bench:hostile` (bench/hostile.ts). Each request is sent alone on a real socket while a probe in',
    `a worker thread (its own event loop) asks \`GET /health/live\` every ${PROBE_INTERVAL_MS} ms on its own keep-alive connection and`,
    '`monitorEventLoopDelay` (1 ms resolution) samples the server\'s event loop. One run; numbers are indicative for this machine only.',
    `Rows marked "first" are the first such request the process serves (it still compiles the code on the way); "worst of ${WARM_REPEATS} more"`,
    'repeats the same idempotent request and keeps the worst figure of each column.', '',
    `- values per multi-valued attribute: ${VALUES}; operations per PATCH / Bulk: ${OPERATIONS}`,
    `- node ${process.version}, ${new Date().toISOString()}, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')} at the end`, '',
    '| request | body KB | status | request ms | loop delay max ms | loop p99 ms | probes | /health/live max ms | p99 ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.name} | ${(r.bytes / 1024).toFixed(0)} | ${r.status} | ${r.ms.toFixed(0)} | ${r.loopMaxMs.toFixed(1)} | ${r.loopP99Ms.toFixed(1)} | ${r.probes} | ${r.probeMaxMs.toFixed(1)} | ${r.probeP99Ms.toFixed(1)} |`),
    ''
  ]
  const file = await writeResult(process.env.BENCH_RESULT_FILE ?? 'hostile.md', lines.join('\n'))
  process.stdout.write(`${lines.join('\n')}\nWrote ${file}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:hostile failed: ${String((error as Error)?.stack ?? error)}\n`)
  process.exitCode = 1
})
