/**
 * `npm run bench:compare`: the service as users run it against a bare baseline, side by side
 * in one run, so that what is reported is a ratio taken under the same conditions.
 *
 * - The service: `node dist/src/server.js` (auth on, LOG_LEVEL=info, default pool), its log
 *   lines written to a file as a user's would be; the per-organization fair-share limits off.
 * - The baseline: bench/compare-baseline.ts, Fastify + `pg`, one statement per request.
 * - Both are separate processes on the same Postgres database (`scim_bench_compare`), with
 *   100 000 users and a group of 10 000 members, and another organization with a group of
 *   1 000 000 members and one of 10 000 (bench/lib/compare-seed.ts; reused by the next run while
 *   the sizes match, BENCH_RESEED=1 to seed again).
 * - Load from autocannon in this process, at 32 and at 1 connection. Every round runs every
 *   scenario on both sides, in alternating order, so a burst of noise from other work on the
 *   machine hits both; state a scenario changed (members, new users) is put back after
 *   each run, so every run starts from the same data.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:compare
 *
 * Env: BENCH_QUICK=1 (small data, 1 short round, result in the temp directory: a smoke
 * test), BENCH_ROUNDS (5), BENCH_SECONDS per run at 32 connections (3) and BENCH_SECONDS_1 at
 * 1 connection (2), BENCH_ONLY (a regular expression on scenario names), BENCH_CONNECTIONS
 * (`32,1`; `1` runs only the single-connection runs), BENCH_SERVICE_NODE_ARGS
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the service), BENCH_BARE_NODE_ARGS (the
 * same for the baseline), BENCH_RESULTS_DIR, BENCH_RESULT_FILE (compare.md).
 *
 * `npm run bench:group-size` is this run restricted to the six membership scenarios at 32
 * connections with 16 rounds (group-size.md): one round's ratio of the 1M group's cost to a
 * 10k group's spreads by ±25% on this shared machine, so five rounds' median can land a tenth
 * either side of what a longer run settles on, which is the size of the difference asked about.
 */
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { PROJECT_ROOT } from '../src/project-root.js'
import { openBenchDatabase } from './lib/bench-database.js'
import { seedCompare, type CompareSizes } from './lib/compare-seed.js'
import { median, percentile, writeResult } from './lib/http-load.js'

const QUICK = process.env.BENCH_QUICK === '1'
const SIZES: CompareSizes = QUICK
  ? { users: 5000, medium: 1000, big: 20_000, free: 5000 }
  : { users: 100_000, medium: 10_000, big: 1_000_000, free: 50_000 }
const DATABASE = QUICK ? 'scim_bench_compare_quick' : 'scim_bench_compare'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 5))
const SECONDS: Record<number, number> = {
  32: Number(process.env.BENCH_SECONDS ?? (QUICK ? 1 : 3)),
  1: Number(process.env.BENCH_SECONDS_1 ?? (QUICK ? 1 : 2))
}
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '32,1').split(',').map(Number).filter(n => n === 32 || n === 1)
const WARMUP_SECONDS = QUICK ? 0.5 : 1
const ONLY = process.env.BENCH_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_ONLY, 'i')
const RESULT_FILE = process.env.BENCH_RESULT_FILE ?? 'compare.md'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'

type Side = 'bare' | 'service'
interface Req { method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown }
interface Scenario {
  readonly name: string
  readonly expect: number
  /** Which organization's token the service side uses. */
  readonly big?: boolean
  readonly service: (k: number) => Req
  readonly bare: (k: number) => Req
  /** Puts back what requests 0…count-1 changed (after every run). */
  readonly restore?: (count: number) => Promise<void>
  /**
   * How many requests a run can send before they repeat earlier ones (the ids a membership
   * change cycles through): past that, a remove finds a non-member and an add a member, cheaper
   * no-ops. Runs that went past it are named in the report.
   */
  readonly distinct?: number
}
interface Run {
  rps: number, p50: number, p99: number, requests: number, errors: number, cpuMsPerRequest: number
  /** Set when the run answered more requests than its scenario has ids: the answers its rate and latencies are from. */
  measuredOver?: number
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T
const filter = (text: string): string => `/scim/v2/Users?filter=${encodeURIComponent(text)}`

async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise(resolve => server.close(resolve))
  return port
}

/** User + system CPU time of a process so far, in ms (/proc, Linux); NaN elsewhere. */
function cpuMs (pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) * 1000 / 100
  } catch {
    return NaN
  }
}

async function start (name: string, script: string, env: NodeJS.ProcessEnv, nodeArgs: string[], logFile: string, readyPath: string): Promise<{ child: ChildProcess, port: number }> {
  const port = await freePort()
  const out = openSync(logFile, 'w')
  const child = spawn(process.execPath, [...nodeArgs, path.join(PROJECT_ROOT, 'dist', script)], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', out, out]
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${logFile}`)
    const ok = await fetch(`http://127.0.0.1:${port}${readyPath}`).then(r => r.ok, () => false)
    if (ok) return { child, port }
    await sleep(200)
  }
  child.kill('SIGTERM')
  throw new Error(`${name} did not become ready; see ${logFile}`)
}

async function stop (child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  child.kill('SIGTERM')
  return await exited
}

/**
 * One autocannon run; latencies are kept per response (autocannon's histogram has 1 ms steps).
 *
 * `distinct`: how many requests of the scenario change something (its ids); when more were
 * answered, the later ones repeat earlier ids as cheaper no-ops, so the run is measured over its
 * first `distinct` answers only (rate up to the last of them, their latencies). Requests are
 * sent in id order and each connection has one in flight, so at most `connections` of those
 * answers can be repeats. CPU per request stays over all the run's answers: the process's CPU
 * time cannot be split at an answer, so such a run's CPU figure still includes the no-ops.
 */
async function load (port: number, pid: number | undefined, headers: Record<string, string>, connections: number, seconds: number, expect: number, next: (k: number) => Req, distinct?: number): Promise<Run> {
  let k = 0
  const latencies: number[] = []
  /** When the `distinct`-th answer arrived (undefined while fewer were answered). */
  let distinctAnsweredAt: number | undefined
  let errors = 0
  const cpuBefore = cpuMs(pid)
  const started = performance.now()
  let finish: (result: autocannon.Result) => void = () => {}
  let fail: (error: unknown) => void = () => {}
  const done = new Promise<autocannon.Result>((resolve, reject) => { finish = resolve; fail = reject })
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`, connections, duration: seconds, headers,
    requests: [{
      setupRequest: request => {
        const r = next(k++)
        return { ...request, method: r.method, path: r.path, body: r.body === undefined ? undefined : JSON.stringify(r.body) }
      }
    }]
  }, (error, result) => { if (error !== null && error !== undefined) fail(error); else finish(result) })
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms)
    if (latencies.length === distinct) distinctAnsweredAt = performance.now()
    if (status !== expect) errors++
  })
  const result = await done
  const cpu = cpuMs(pid) - cpuBefore
  const answered = latencies.length
  errors += result.errors + result.timeouts
  const cut = distinct !== undefined && answered > distinct ? distinct : undefined
  const measured = cut === undefined ? latencies : latencies.slice(0, cut)
  const elapsed = cut === undefined || distinctAnsweredAt === undefined ? result.duration : (distinctAnsweredAt - started) / 1000
  measured.sort((a, b) => a - b)
  return {
    rps: measured.length / elapsed, p50: percentile(measured, 0.5), p99: percentile(measured, 0.99), requests: answered, errors,
    cpuMsPerRequest: cpu / Math.max(1, answered),
    ...(cut === undefined ? {} : { measuredOver: cut })
  }
}

/**
 * The groups membership changes run on: "10k" in the organization of the other scenarios
 * (100 000 users), "1M" and its small counterpart "10k-big" in the other organization
 * (1 050 000 users).
 */
type GroupLabel = '10k' | '10k-big' | '1M'
const GROUP_LABELS: readonly GroupLabel[] = ['10k', '10k-big', '1M']
const GROUP_NAMES: Record<GroupLabel, string> = { '10k': '10k group', '10k-big': "10k group in the 1M group's organization", '1M': '1M group' }

function memberScenarioName (op: 'add' | 'remove', group: GroupLabel): string {
  return `PATCH /Groups ${op} 1 member (${GROUP_NAMES[group]})`
}

/**
 * The scenarios in a round's order: every other round runs each change's scenarios on the
 * three groups in reverse order (1M, 10k-big, 10k), so that a drift of the machine within a
 * round does not always fall on the same one of a compared pair, and the pair that differs
 * only in the group's size (10k-big, 1M) always runs in neighbouring runs.
 */
function orderOfRound (scenarios: readonly Scenario[], round: number): Scenario[] {
  const ordered = [...scenarios]
  if (round % 2 === 0) return ordered
  for (const op of ['add', 'remove'] as const) {
    const names = GROUP_LABELS.map(label => memberScenarioName(op, label))
    const at = ordered.findIndex(s => s.name === names[0])
    if (at < 0 || !names.every((name, k) => ordered[at + k]?.name === name)) continue
    ordered.splice(at, names.length, ...ordered.slice(at, at + names.length).reverse())
  }
  return ordered
}

/**
 * The machine's CPU time counters (/proc/stat's first line, in clock ticks): `steal` is time
 * the hypervisor gave this virtual machine's CPUs to others, which no process here sees as its own.
 */
function cpuTicks (): { total: number, steal: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    // user nice system idle iowait irq softirq steal [guest guest_nice, already inside user and nice]
    const counted = fields.slice(0, 8)
    if (counted.length < 8 || counted.some(n => !Number.isFinite(n))) return undefined
    return { total: counted.reduce((sum, n) => sum + n, 0), steal: counted[7] as number }
  } catch {
    return undefined
  }
}

function range (values: number[]): string {
  return values.length > 1 ? `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}` : '–'
}

async function main (): Promise<void> {
  const started = performance.now()
  const loadBefore = os.loadavg()[0] ?? 0
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'warn' }, { keep: process.env.BENCH_RESEED !== '1' })
  const { handle, services } = bench
  const db = handle.db
  const children: ChildProcess[] = []
  try {
    const seedStart = performance.now()
    const { data, seeded } = await seedCompare(db, SIZES)
    const seedSeconds = (performance.now() - seedStart) / 1000
    console.log(`${seeded ? 'seeded' : 'reused'} ${DATABASE} (${seedSeconds.toFixed(1)} s)`)
    // Fresh tokens every run (only their hashes are stored); earlier runs' tokens are revoked.
    await sql`update api_tokens set revoked_at = now() where revoked_at is null`.execute(db)
    const token = (await services.tokens.create('bench', { label: 'bench:compare' })).token
    const bigToken = (await services.tokens.create('bench-big', { label: 'bench:compare' })).token

    const ids = async (org: string, prefix: string, limit: number): Promise<string[]> =>
      (await sql<{ id: string }>`select id from users where organization_id = ${org}::uuid and user_name like ${prefix + '%'}
        order by created_at limit ${limit}::int`.execute(db)).rows.map(r => r.id)
    const users = await ids(data.org, 'user', SIZES.users)
    const mediumMembers = users.slice(0, SIZES.medium)
    const mediumFree = users.slice(SIZES.medium)
    const bigMembers = await ids(data.bigOrg, 'member', 50_000)
    const bigFree = await ids(data.bigOrg, 'free', SIZES.free)
    const keys = (await sql<{ id: string, created_at: string }>`
      select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
      from users where id = any(${users.filter((_, i) => i % 100 === 99).slice(0, 20)}::uuid[])`.execute(db)).rows

    // A directory of this run's own: a second run at the same time (another checkout) must
    // not replace the log whose lines this one counts.
    const logDir = await mkdtemp(path.join(os.tmpdir(), 'scim-bench-compare-'))
    const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: bench.config.databaseUrl }
    delete childEnv.DATABASE_POOL_SIZE
    delete childEnv.SCIM_BEARER_TOKEN
    delete childEnv.LOG_LEVEL
    const serviceLog = path.join(logDir, 'service.log')
    const argsOf = (name: string): string[] => (process.env[name] ?? '').split(' ').filter(arg => arg !== '')
    const bare = await start('baseline', 'bench/compare-baseline.js', childEnv, argsOf('BENCH_BARE_NODE_ARGS'), path.join(logDir, 'baseline.log'), '/health')
    children.push(bare.child)
    const nodeArgs = argsOf('BENCH_SERVICE_NODE_ARGS')
    // The fair-share limits (ORG_MAX_CONCURRENT_REQUESTS, RATE_LIMIT_PER_MINUTE) cap what one
    // organization may take of an instance, by design far below what the instance can serve:
    // with them on, this single-organization load would measure the caps (429s), not the
    // service. Everything else is as users run it.
    const serviceEnv = { ...childEnv, LOG_LEVEL: 'info', ORG_MAX_CONCURRENT_REQUESTS: '0', RATE_LIMIT_PER_MINUTE: '0' }
    const service = await start('service', 'src/server.js', serviceEnv, nodeArgs, serviceLog, '/health/ready')
    children.push(service.child)

    // Cursors of pages 2…21 of 100 users, as a client walking the list gets them.
    const cursors: string[] = []
    let cursor = ''
    for (let page = 0; page < 21; page++) {
      const response = await fetch(`http://127.0.0.1:${service.port}/scim/v2/Users?count=100&cursor=${cursor}`, { headers: { authorization: `Bearer ${token}` } })
      const body = await response.json() as { nextCursor?: string }
      if (body.nextCursor === undefined) break
      cursor = body.nextCursor
      cursors.push(cursor)
    }
    let posted = 0

    const restoreAdded = (group: string, added: readonly string[]) => async (count: number) => {
      await sql`delete from group_members where group_id = ${group}::uuid and user_id = any(${added.slice(0, count)}::uuid[])`.execute(db)
    }
    const restoreRemoved = (org: string, group: string, removed: readonly string[]) => async (count: number) => {
      await sql`insert into group_members (organization_id, group_id, user_id)
        select ${org}::uuid, ${group}::uuid, t.id from unnest(${removed.slice(0, count)}::uuid[]) as t(id)
        on conflict do nothing`.execute(db)
    }
    const at = <T>(items: readonly T[], k: number): T => items[k % items.length] as T
    const memberPatch = (group: string, op: 'add' | 'remove', user: string): Req => ({
      method: 'PATCH', path: `/scim/v2/Groups/${group}`,
      body: { schemas: [PATCH_OP], Operations: op === 'add' ? [{ op: 'add', path: 'members', value: [{ value: user }] }] : [{ op: 'remove', path: `members[value eq "${user}"]` }] }
    })
    const bareMemberPatch = (group: string, op: 'add' | 'remove', user: string): Req => ({ method: 'PATCH', path: `/groups/${group}/${op}`, body: { value: user } })
    const groupSizes = [
      ['10k', data.mediumGroup, data.org, mediumMembers, mediumFree, false],
      ['10k-big', data.bigOrgMediumGroup, data.bigOrg, bigMembers.slice(0, SIZES.medium), bigFree, true],
      ['1M', data.bigGroup, data.bigOrg, bigMembers, bigFree, true]
    ] as const
    // Ordered add 10k, 10k-big, 1M, then remove in the same order: the same change on the three
    // groups runs in neighbouring runs, so the group-size comparison below pairs runs taken in
    // like conditions.
    const memberScenarios = (['add', 'remove'] as const).flatMap(op => groupSizes.map(([label, group, org, members, free, big]): Scenario => op === 'add'
      ? {
          name: memberScenarioName('add', label), expect: 204, big,
          service: k => memberPatch(group, 'add', at(free, k)), bare: k => bareMemberPatch(group, 'add', at(free, k)),
          restore: restoreAdded(group, free), distinct: free.length
        }
      : {
          name: memberScenarioName('remove', label), expect: 204, big,
          service: k => memberPatch(group, 'remove', at(members, k)), bare: k => bareMemberPatch(group, 'remove', at(members, k)),
          restore: restoreRemoved(org, group, members), distinct: members.length
        }))

    const n = (): number => 1 + Math.floor(Math.random() * SIZES.users)
    const all: Scenario[] = [
      { name: 'GET /Users/{id}', expect: 200, service: () => ({ method: 'GET', path: `/scim/v2/Users/${pick(users)}` }), bare: () => ({ method: 'GET', path: `/users/${pick(users)}` }) },
      {
        name: 'GET /Users?filter=userName eq', expect: 200,
        service: () => ({ method: 'GET', path: filter(`userName eq "user${n()}@bench.example"`) }),
        bare: () => ({ method: 'GET', path: `/users?userName=${encodeURIComponent(`user${n()}@bench.example`)}` })
      },
      {
        name: 'GET /Users?filter=emails[type eq "work"].value eq', expect: 200,
        service: () => ({ method: 'GET', path: filter(`emails[type eq "work"].value eq "mail${n()}@work.bench.example"`) }),
        bare: () => ({ method: 'GET', path: `/users?email=${encodeURIComponent(`mail${n()}@work.bench.example`)}` })
      },
      {
        name: 'GET /Users?filter=externalId eq', expect: 200,
        service: () => ({ method: 'GET', path: filter(`externalId eq "ext-${n()}"`) }),
        bare: () => ({ method: 'GET', path: `/users?externalId=ext-${n()}` })
      },
      {
        name: 'POST /Users', expect: 201,
        service: () => ({ method: 'POST', path: '/scim/v2/Users', body: newUser(++posted) }),
        bare: () => ({ method: 'POST', path: '/users', body: newUser(++posted) }),
        restore: async () => { await sql`delete from users where organization_id = ${data.org}::uuid and user_name like 'post-%'`.execute(db) }
      },
      {
        name: 'PATCH /Users/{id} replace active (Entra)', expect: 200,
        service: k => ({ method: 'PATCH', path: `/scim/v2/Users/${pick(mediumFree)}`, body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: k % 2 === 0 ? 'False' : 'True' }] } }),
        bare: k => ({ method: 'PATCH', path: `/users/${pick(mediumFree)}`, body: { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: k % 2 === 0 ? 'False' : 'True' }] } })
      },
      ...memberScenarios,
      {
        name: 'GET /Groups?excludedAttributes=members (page of 100)', expect: 200,
        service: () => ({ method: 'GET', path: '/scim/v2/Groups?excludedAttributes=members&startIndex=1&count=100' }),
        bare: () => ({ method: 'GET', path: '/groups' })
      },
      {
        name: 'GET /Users page of 100 by cursor', expect: 200,
        service: () => ({ method: 'GET', path: `/scim/v2/Users?count=100&cursor=${pick(cursors)}` }),
        bare: () => {
          const key = pick(keys)
          return { method: 'GET', path: `/users-page?createdAt=${encodeURIComponent(key.created_at)}&id=${key.id}` }
        }
      }
    ]
    const scenarios = all.filter(s => ONLY === undefined || ONLY.test(s.name))

    const headersOf = (side: Side, scenario: Scenario): Record<string, string> => side === 'service'
      ? { authorization: `Bearer ${scenario.big === true ? bigToken : token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' }
      : { 'x-organization': scenario.big === true ? data.bigOrg : data.org, 'content-type': 'application/json' }
    const cycled: string[] = []
    const runOne = async (scenario: Scenario, side: Side, connections: number, seconds: number): Promise<Run> => {
      const target = side === 'service' ? service : bare
      const requestsBefore = { count: 0 }
      const run = await load(target.port, target.child.pid, headersOf(side, scenario), connections, seconds, scenario.expect, k => {
        requestsBefore.count = k + 1
        return side === 'service' ? scenario.service(k) : scenario.bare(k)
      }, scenario.distinct)
      await scenario.restore?.(requestsBefore.count)
      if (scenario.distinct !== undefined && requestsBefore.count > scenario.distinct) {
        const how = run.measuredOver === undefined
          ? 'the repeats were still in flight when the run stopped, none among its answers'
          : `rate and latencies from its first ${run.measuredOver} answers, CPU per request from all`
        cycled.push(`${scenario.name} c=${connections} ${side} (${requestsBefore.count} requests, ${scenario.distinct} ids: ${how})`)
      }
      return run
    }

    let serviceRequests = 0
    console.log(`warming up (${WARMUP_SECONDS} s per scenario and side)`)
    for (const scenario of scenarios) {
      for (const side of ['bare', 'service'] as const) {
        const run = await runOne(scenario, side, 32, WARMUP_SECONDS)
        if (side === 'service') serviceRequests += run.requests
      }
    }
    // Warm-up runs may cycle (they are not reported).
    cycled.length = 0
    const runs = new Map<string, Run[]>()
    const cell = (scenario: string, connections: number, side: Side): string => `${scenario}|${connections}|${side}`
    const measureStart = performance.now()
    const ticksBefore = cpuTicks()
    for (let round = 0; round < ROUNDS; round++) {
      for (const connections of CONNECTIONS) {
        for (const [i, scenario] of orderOfRound(scenarios, round).entries()) {
          const sides: Side[] = (round + i) % 2 === 0 ? ['bare', 'service'] : ['service', 'bare']
          for (const side of sides) {
            const run = await runOne(scenario, side, connections, SECONDS[connections] as number)
            if (side === 'service') serviceRequests += run.requests
            const key = cell(scenario.name, connections, side)
            runs.set(key, [...(runs.get(key) ?? []), run])
            console.log(`round ${round + 1}/${ROUNDS} ${scenario.name} c=${connections} ${side}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, errors ${run.errors}`)
          }
        }
      }
    }
    const measureSeconds = (performance.now() - measureStart) / 1000
    const ticksAfter = cpuTicks()
    const stealPercent = ticksBefore === undefined || ticksAfter === undefined || ticksAfter.total === ticksBefore.total
      ? undefined
      : 100 * (ticksAfter.steal - ticksBefore.steal) / (ticksAfter.total - ticksBefore.total)

    // The service writes one log line per request; stopping it cleanly must lose none.
    const serviceExit = await stop(service.child)
    await stop(bare.child)
    children.length = 0
    const logLines = readFileSync(serviceLog, 'utf8').split('\n').filter(line => line.includes('"msg":"request"')).length

    const rows: string[] = []
    const noise: number[] = []
    for (const connections of CONNECTIONS) {
      for (const scenario of scenarios) {
        const bareRuns = runs.get(cell(scenario.name, connections, 'bare')) ?? []
        const serviceRuns = runs.get(cell(scenario.name, connections, 'service')) ?? []
        const m = (list: Run[], field: Exclude<keyof Run, 'measuredOver'>): number => median(list.map(run => run[field]))
        // Each round's two runs ran back to back: their ratio is what the round measured, and the
        // median of those is less at the mercy of the machine's drift between rounds than a
        // ratio of two medians taken from different rounds.
        const ratios = serviceRuns.map((run, r) => run.rps / (bareRuns[r]?.rps ?? NaN))
        const p50Ratios = serviceRuns.map((run, r) => run.p50 / (bareRuns[r]?.p50 ?? NaN))
        for (const list of [bareRuns, serviceRuns]) {
          const rps = list.map(run => run.rps)
          if (rps.length > 1) noise.push((Math.max(...rps) - Math.min(...rps)) / median(rps))
        }
        const errors = [...bareRuns, ...serviceRuns].reduce((sum, run) => sum + run.errors, 0)
        rows.push(`| ${scenario.name} | ${connections} | **${median(ratios).toFixed(2)}** | ${range(ratios)} | ` +
          `${median(p50Ratios).toFixed(2)} | ${range(p50Ratios)} | ` +
          `${m(bareRuns, 'rps').toFixed(0)} | ${m(serviceRuns, 'rps').toFixed(0)} | ` +
          `${m(bareRuns, 'p50').toFixed(2)} | ${m(serviceRuns, 'p50').toFixed(2)} | ${m(bareRuns, 'p99').toFixed(2)} | ${m(serviceRuns, 'p99').toFixed(2)} | ` +
          `${m(bareRuns, 'cpuMsPerRequest').toFixed(3)} | ${m(serviceRuns, 'cpuMsPerRequest').toFixed(3)} | ${errors} |`)
      }
      rows.push('|  |  |  |  |  |  |  |  |  |  |  |  |  |  |  |')
    }
    rows.pop()

    // What a change costs on the 1M group against a 10k group, per round from runs taken
    // within six consecutive runs (scenario order above), by req/s and by p50; the bare
    // server's figures show what Postgres itself pays for the bigger group. Against 10k-big only
    // the group's size differs; against 10k the organization's size too.
    const sizeRows: string[] = []
    for (const against of ['10k-big', '10k'] as const) {
      for (const op of ['add', 'remove'] as const) {
        for (const connections of CONNECTIONS) {
          const cells: string[] = []
          for (const side of ['service', 'bare'] as const) {
            const small = runs.get(cell(memberScenarioName(op, against), connections, side)) ?? []
            const big = runs.get(cell(memberScenarioName(op, '1M'), connections, side)) ?? []
            if (small.length === 0 || big.length === 0) continue
            const byRate = small.map((run, r) => run.rps / (big[r]?.rps ?? NaN))
            const byP50 = small.map((run, r) => (big[r]?.p50 ?? NaN) / run.p50)
            cells.push(`${side === 'service' ? `**${median(byRate).toFixed(2)}**` : median(byRate).toFixed(2)} | ${range(byRate)} | ${median(byP50).toFixed(2)} | ${range(byP50)}`)
          }
          if (cells.length === 2) sizeRows.push(`| ${op} 1 member | ${against === '10k-big' ? 'same (10k-big)' : 'other (10k)'} | ${connections} | ${cells.join(' | ')} |`)
        }
      }
    }
    const postgres = (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0]?.v.split(' on ')[0] ?? '?'
    const text = [
      '# Service vs bare baseline', '',
      `Generated by \`npm run bench:compare\` (bench/compare.ts)${QUICK ? ' in BENCH_QUICK mode (small data: not for comparison)' : ''}.`, '',
      '- service: `node dist/src/server.js`, bearer-token auth, LOG_LEVEL=info (log lines to a file), default pool (10); fair-share limits off (ORG_MAX_CONCURRENT_REQUESTS=0, RATE_LIMIT_PER_MINUTE=0: one organization is the whole load)',
      '- bare: bench/compare-baseline.ts, Fastify + `pg`, one statement per request, no auth, no logging, pool of 10',
      `- data: ${SIZES.users.toLocaleString('en')} users with a group of ${SIZES.medium.toLocaleString('en')} members and ${(1000).toLocaleString('en')} more groups; another organization with a group of ${SIZES.big.toLocaleString('en')} members, one of ${SIZES.medium.toLocaleString('en')} of them, and ${SIZES.free.toLocaleString('en')} more users; ${seeded ? `seeded in ${seedSeconds.toFixed(0)} s` : 'reused from an earlier run'}`,
      `- scenarios: ${ONLY === undefined ? 'all' : `those matching /${ONLY.source}/ (BENCH_ONLY)`}; connections ${CONNECTIONS.join(' and ')}`,
      `- load: autocannon in the orchestrating process; ${ROUNDS} round(s), each running every scenario on both sides (order alternating) ${CONNECTIONS.map(c => `for ${SECONDS[c]} s at ${c} connection${c === 1 ? '' : 's'}`).join(', then every scenario ')}; before the first round, ${WARMUP_SECONDS} s of warm-up per scenario and side at 32 connections; changed state put back after every run`,
      `- runs whose requests outnumbered their scenario's distinct ids (later ones repeat earlier ones as cheaper no-ops, so rate and latencies come from the answers up to the number of ids): ${cycled.length === 0 ? 'none' : cycled.join('; ')}`,
      `- noise: across rounds, a side's req/s varied by a median of ${noise.length > 0 ? (100 * median(noise)).toFixed(0) : '–'}% (max ${noise.length > 0 ? (100 * Math.max(...noise)).toFixed(0) : '–'}%) of its median; the "range" columns give the per-round ratios`,
      `- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, shared with other work; load average (1 min) ${loadBefore.toFixed(2)} before, ${(os.loadavg()[0] ?? 0).toFixed(2)} after; CPU time stolen by the hypervisor while measuring: ${stealPercent === undefined ? 'unknown (no /proc/stat)' : `${stealPercent.toFixed(0)}%`}`,
      `- software: Node ${process.version}, ${postgres}`,
      `- measuring took ${measureSeconds.toFixed(0)} s, the whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
      `- service log: ${logLines.toLocaleString('en')} request lines for ${serviceRequests.toLocaleString('en')} answered requests (lines may exceed answers by requests still in flight when a run stopped); exit code after SIGTERM ${String(serviceExit)}`,
      '',
      '"ratio" is service req/s ÷ bare req/s and "p50 ×" service p50 ÷ bare p50, each taken per round (the two sides\' runs back to back) and the median of the rounds shown; the other columns are medians over the rounds of each side. CPU is the process\'s own user+system time per request (the orchestrator and Postgres not included).', '',
      '| scenario | conns | ratio | ratio range | p50 × | p50 × range | bare req/s | service req/s | bare p50 ms | service p50 ms | bare p99 ms | service p99 ms | bare CPU ms/req | service CPU ms/req | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows, '',
      ...sizeRows.length === 0
        ? []
        : [
            '## Group size', '',
            `What a membership change costs on the ${SIZES.big.toLocaleString('en')}-member group ("1M") relative to a ${SIZES.medium.toLocaleString('en')}-member group: small req/s ÷ 1M req/s and 1M p50 ÷ small p50, per round from runs taken within six consecutive runs (the three groups' runs in reverse order every other round), median and range (1.00: the same cost). "same (10k-big)" is the small group in the 1M group's organization (${(SIZES.big + SIZES.free).toLocaleString('en')} users, same token): only the group's size differs. "other (10k)" is the 10k group of the main table, in the organization of ${SIZES.users.toLocaleString('en')} users the other scenarios read and write: the organization differs too.`, '',
            '| change | organization | conns | service, by req/s | range | service, by p50 | range | bare, by req/s | range | bare, by p50 | range |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
            ...sizeRows, ''
          ]
    ].join('\n')
    const resultsDir = process.env.BENCH_RESULTS_DIR ?? (QUICK ? path.join(os.tmpdir(), 'scim-bench') : undefined)
    if (resultsDir !== undefined) process.env.BENCH_RESULTS_DIR = resultsDir
    const file = await writeResult(RESULT_FILE, text)
    console.log(text)
    console.log(`wrote ${file}`)
  } finally {
    for (const child of children) await stop(child)
    await handle.close()
  }
}

function newUser (k: number): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA], userName: `post-${k}-${process.pid}@bench.example`, externalId: `post-ext-${k}-${process.pid}`, active: true,
    displayName: `Posted User ${k}`, name: { givenName: 'Posted', familyName: `User ${k}` },
    emails: [{ primary: true, type: 'work', value: `post-${k}-${process.pid}@work.bench.example` }]
  }
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
