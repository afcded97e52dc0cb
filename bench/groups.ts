/**
 * /Groups benchmark (issue 5): membership changes must cost the same on a group of 0, 10 000
 * or 1 000 000 members. A real Postgres database `scim_bench_groups`, the built app listening
 * on a free port, keep-alive `node:http` clients, and in the same run a baseline: a bare
 * Fastify route doing one primary-key SELECT through the same pool.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:groups
 *
 * Env: BENCH_BIG_GROUP (1000000), BENCH_ITERATIONS add+remove pairs per group size (300),
 * DATABASE_POOL_SIZE (10), BENCH_RESULTS_DIR (bench/results). Writes groups.md there.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import http from 'node:http'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { Db } from '../src/db/database.js'
import type { Services } from '../src/services/services.js'
import { openBenchDatabase, startApp } from './lib/bench-database.js'
import { listenOnFreePort, reportHead, send, type Stats, summarize, type Target, writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_groups'
const BIG = Number(process.env.BENCH_BIG_GROUP ?? 1_000_000)
const MEDIUM = Math.min(10_000, BIG)
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300)
const BULK = 10_000
const CLIENTS = 50
const ADDS_PER_CLIENT = 20
const FILLER_GROUPS = 1000
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

/** Users in the layout user.mapper.ts writes (columns + canonical jsonb), one INSERT … SELECT. */
async function seedUsers (db: Db, organizationId: string, prefix: string, count: number): Promise<void> {
  await sql`
    insert into users (organization_id, user_name, display_name, user_type, active, attributes)
    select ${organizationId}::uuid, u.user_name, u.display_name, 'customer', true,
      jsonb_build_object('schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
        'userName', u.user_name, 'displayName', u.display_name, 'userType', 'customer', 'active', true)
    from (select ${prefix} || i || '@bench.example' as user_name, 'Bench ' || ${prefix} || ' ' || i as display_name
          from generate_series(1, ${count}::int) as i) as u`.execute(db)
}

async function insertGroup (db: Db, organizationId: string, name: string): Promise<string> {
  const row = await db.insertInto('groups').values({ organization_id: organizationId, display_name: name, attributes: '{}' })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

/**
 * Memberships by INSERT … SELECT. The foreign-key triggers are skipped for the seed only
 * (session_replication_role = replica, superuser): the rows are valid by construction, and
 * checking a million of them would only slow the setup down.
 */
async function seedMembers (db: Db, organizationId: string, groupId: string, prefix: string, count: number): Promise<void> {
  await db.transaction().execute(async trx => {
    await sql`set local session_replication_role = replica`.execute(trx)
    await sql`
      insert into group_members (organization_id, group_id, user_id)
      select ${organizationId}::uuid, ${groupId}::uuid, id from users
      where organization_id = ${organizationId}::uuid and user_name like ${prefix + '%'}
      limit ${count}::int`.execute(trx)
  })
}

/** Summarizes and prints the row as it goes, so a long run shows progress. */
function summarized (name: string, latencies: number[], errors: number, seconds: number): Stats {
  const stats = summarize(name, latencies, errors, seconds)
  console.log(`${name}: ${stats.requests} req, ${stats.rps.toFixed(0)} req/s, p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms, errors ${errors}`)
  return stats
}

/**
 * `clients` keep-alive clients, each sending `perClient` requests one after another
 * (`next(client, k)`); warm-up requests are sent first and not counted.
 */
async function measure (
  name: string, port: number, headers: Record<string, string>, clients: number, perClient: number,
  next: (client: number, k: number) => Target, warmup = 0
): Promise<Stats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients })
  for (let k = 0; k < warmup; k++) await send(agent, port, headers, next(0, -1 - k))
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    for (let k = 0; k < perClient; k++) {
      const target = next(client, k)
      const t0 = performance.now()
      const status = await send(agent, port, headers, target).catch(() => 0)
      latencies.push(performance.now() - t0)
      if (status !== target.expect) errors++
    }
  }))
  const seconds = (performance.now() - started) / 1000
  agent.destroy()
  return summarized(name, latencies, errors, seconds)
}

/**
 * Add-then-remove pairs, timed separately, on each group. The groups take turns within every
 * iteration, so background noise (other processes, GC, autovacuum) hits all sizes alike and
 * the ratio between sizes is fair.
 */
async function measureAddRemove (
  port: number, headers: Record<string, string>, groups: ReadonlyArray<readonly [string, string]>, users: readonly string[]
): Promise<Array<[Stats, Stats]>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const add = (groupId: string, user: string): Target => ({ method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, expect: 204, body: { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: user }] }] } })
  const remove = (groupId: string, user: string): Target => ({ method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, expect: 204, body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${user}"]` }] } })
  const times = groups.map((): [number[], number[]] => [[], []])
  const errors = groups.map(() => [0, 0])
  const started = performance.now()
  for (let k = -20; k < ITERATIONS; k++) {
    const user = users[(k + users.length) % users.length] as string
    for (const [g, [, groupId]] of groups.entries()) {
      for (const [i, target] of [add(groupId, user), remove(groupId, user)].entries()) {
        const t0 = performance.now()
        const status = await send(agent, port, headers, target)
        // The first 20 rounds warm up (JIT, caches, pool) and are not counted.
        if (k >= 0) times[g]?.[i]?.push(performance.now() - t0)
        if (status !== target.expect && k >= 0) (errors[g] as number[])[i]++
      }
    }
  }
  const seconds = (performance.now() - started) / 1000 / (2 * groups.length)
  agent.destroy()
  return groups.map(([label], g) => {
    const [adds, removes] = times[g] as [number[], number[]]
    return [
      summarized(`PATCH add 1 member, group of ${label}`, adds, errors[g]?.[0] ?? 0, seconds),
      summarized(`PATCH remove 1 member, group of ${label}`, removes, errors[g]?.[1] ?? 0, seconds)
    ]
  })
}

async function groupState (db: Db, groupId: string): Promise<{ members: number, version: number }> {
  const members = await sql<{ n: number }>`select count(*)::int as n from group_members where group_id = ${groupId}::uuid`.execute(db)
  const version = await db.selectFrom('groups').select('version').where('id', '=', groupId).executeTakeFirstOrThrow()
  return { members: members.rows[0]?.n ?? 0, version: Number(version.version) }
}

/** The floor: HTTP + one primary-key SELECT through the same pool, none of the SCIM work. */
async function startBaseline (db: Db): Promise<{ baseline: FastifyInstance, basePort: number }> {
  const baseline = Fastify({ logger: false })
  baseline.get<{ Params: { id: string } }>('/baseline/:id', async request =>
    await db.selectFrom('groups').select(['id', 'display_name']).where('id', '=', request.params.id).executeTakeFirst())
  return { baseline, basePort: await listenOnFreePort(baseline) }
}

interface Seeded { organizationId: string, token: string, empty: string, medium: string, big: string, free: string[], seedSeconds: number }

async function seed (db: Db, services: Services): Promise<Seeded> {
  const t0 = performance.now()
  const created = await services.tokens.create('bench')
  const org = created.organization.id
  const freeCount = 2 * BULK + CLIENTS * ADDS_PER_CLIENT + 500
  await seedUsers(db, org, 'member', BIG)
  await seedUsers(db, org, 'free', freeCount)
  const empty = await insertGroup(db, org, 'Bench Empty')
  const medium = await insertGroup(db, org, 'Bench 10k')
  const big = await insertGroup(db, org, 'Bench 1M')
  await sql`insert into groups (organization_id, display_name, attributes)
    select ${org}::uuid, 'Bench Filler ' || g, '{}' from generate_series(1, ${FILLER_GROUPS}::int) as g`.execute(db)
  await seedMembers(db, org, medium, 'member', MEDIUM)
  await seedMembers(db, org, big, 'member', BIG)
  // A database in steady state has statistics and a visibility map.
  await sql`vacuum analyze`.execute(db)
  const free = (await sql<{ id: string }>`select id from users where organization_id = ${org}::uuid and user_name like 'free%' order by user_name`.execute(db)).rows.map(r => r.id)
  const seedSeconds = (performance.now() - t0) / 1000
  console.log(`seeded ${BIG + freeCount} users, ${FILLER_GROUPS + 3} groups, ${BIG + MEDIUM} memberships in ${seedSeconds.toFixed(1)} s`)
  return { organizationId: org, token: created.token, empty, medium, big, free, seedSeconds }
}

function report (stats: Stats[], notes: string[], environment: Record<string, string>): string {
  return [
    ...reportHead('/Groups', 'groups', environment, stats),
    '## Checks and ratios', '', ...notes.map(note => `- ${note}`), ''
  ].join('\n')
}

async function main (): Promise<void> {
  const started = performance.now()
  const loadBefore = os.loadavg()[0] ?? 0
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'warn' })
  const { config, handle, services } = bench
  try {
    const s = await seed(handle.db, services)
    const { app, port } = await startApp(bench)
    const { baseline, basePort } = await startBaseline(handle.db)
    const headers = { authorization: `Bearer ${s.token}`, accept: 'application/scim+json' }
    const stats: Stats[] = []
    const notes: string[] = []

    const baseTarget = (): Target => ({ method: 'GET', path: `/baseline/${s.big}`, expect: 200 })
    stats.push(await measure('baseline: bare Fastify, one PK SELECT (1 client)', basePort, {}, 1, 2000, baseTarget, 200))
    stats.push(await measure(`baseline: bare Fastify, one PK SELECT (${CLIENTS} clients)`, basePort, {}, CLIENTS, 40, baseTarget, 200))

    // Add+remove pairs cycle through 500 users that belong to none of the three groups.
    const pairUsers = s.free.slice(2 * BULK + CLIENTS * ADDS_PER_CLIENT)
    const sizes: Array<[string, string]> = [['0', s.empty], [MEDIUM.toLocaleString('en'), s.medium], [BIG.toLocaleString('en'), s.big]]
    const pairs = await measureAddRemove(port, headers, sizes, pairUsers)
    for (const pair of pairs) stats.push(...pair)
    const [emptyPair, , bigPair] = pairs as [[Stats, Stats], [Stats, Stats], [Stats, Stats]]
    notes.push(`PATCH add 1 member, 1M vs empty group: p50 ratio ${(bigPair[0].p50 / emptyPair[0].p50).toFixed(2)}, p99 ratio ${(bigPair[0].p99 / emptyPair[0].p99).toFixed(2)}`)
    notes.push(`PATCH remove 1 member, 1M vs empty group: p50 ratio ${(bigPair[1].p50 / emptyPair[1].p50).toFixed(2)}, p99 ratio ${(bigPair[1].p99 / emptyPair[1].p99).toFixed(2)}`)

    stats.push(await measure('GET /Groups/{1M group}?excludedAttributes=members', port, headers, 1, 1000,
      () => ({ method: 'GET', path: `/scim/v2/Groups/${s.big}?excludedAttributes=members`, expect: 200 }), 100))
    stats.push(await measure('GET /Groups?excludedAttributes=members&filter=displayName eq (1M group, Entra)', port, headers, 1, 1000,
      () => ({ method: 'GET', path: '/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22Bench+1M%22', expect: 200 }), 100))
    stats.push(await measure('GET /Groups?startIndex=1&count=100&excludedAttributes=members (PingFederate paging)', port, headers, 1, 300,
      () => ({ method: 'GET', path: '/scim/v2/Groups?startIndex=1&count=100&excludedAttributes=members', expect: 200 }), 20))
    stats.push(await measure('GET /Groups/{10k group} with all 10 000 members inline', port, headers, 1, 30,
      () => ({ method: 'GET', path: `/scim/v2/Groups/${s.medium}`, expect: 200 }), 3))

    for (const [label, groupId, users] of [['empty', s.empty, s.free.slice(0, BULK)], ['1M', s.big, s.free.slice(BULK, 2 * BULK)]] as const) {
      const before = await groupState(handle.db, groupId)
      const body = { schemas: [PATCH_OP], Operations: [{ op: 'Add', path: 'members', value: users.map(value => ({ value })) }] }
      stats.push(await measure(`one PATCH adding ${BULK.toLocaleString('en')} members, ${label} group`, port, headers, 1, 1,
        () => ({ method: 'PATCH', path: `/scim/v2/Groups/${groupId}`, expect: 204, body })))
      const after = await groupState(handle.db, groupId)
      notes.push(`bulk add to the ${label} group: members ${before.members} → ${after.members} (+${after.members - before.members}, expected +${BULK})`)
    }

    const concurrentUsers = s.free.slice(2 * BULK, 2 * BULK + CLIENTS * ADDS_PER_CLIENT)
    const before = await groupState(handle.db, s.big)
    const concurrent = await measure(`${CLIENTS} concurrent clients adding members to the 1M group (1 per PATCH)`, port, headers, CLIENTS, ADDS_PER_CLIENT,
      (client, k) => ({
        method: 'PATCH', path: `/scim/v2/Groups/${s.big}`, expect: 204,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: concurrentUsers[client * ADDS_PER_CLIENT + k] }] }] }
      }))
    stats.push(concurrent)
    const after = await groupState(handle.db, s.big)
    const expected = CLIENTS * ADDS_PER_CLIENT
    notes.push(`${CLIENTS} concurrent clients: members +${after.members - before.members} (expected +${expected}), version +${after.version - before.version} (expected +${expected}): ${after.members - before.members === expected && after.version - before.version === expected ? 'no lost members or versions' : 'LOST UPDATES'}`)

    await app.close()
    await baseline.close()
    const environment = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
      node: process.version,
      postgres: (await sql<{ v: string }>`select version() as v`.execute(handle.db)).rows[0]?.v.split(' on ')[0] ?? '?',
      'pool size': String(config.databasePoolSize),
      // Other processes on the machine skew absolute numbers (not the ratios to the baseline much).
      'load average (1 min) before / after': `${loadBefore.toFixed(2)} / ${(os.loadavg()[0] ?? 0).toFixed(2)}`,
      seed: `${(BIG + s.free.length).toLocaleString('en')} users, groups of 0 / ${MEDIUM.toLocaleString('en')} / ${BIG.toLocaleString('en')} members + ${FILLER_GROUPS} filler groups, in ${s.seedSeconds.toFixed(1)} s`,
      'whole run': `${((performance.now() - started) / 1000).toFixed(0)} s`,
      note: 'load generator and app share one process and the CPU (as in bench/users.ts); compare with the baseline rows'
    }
    const file = await writeResult('groups.md', report(stats, notes, environment))
    console.log(`wrote ${file}`)
  } finally {
    await handle.close()
  }
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
