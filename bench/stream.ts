/**
 * Streamed responses benchmark: memory, time and event-loop delay of responses that list
 * very many members or groups. A real Postgres database `scim_bench_stream`, the built app
 * listening on a free port, and in the same run a baseline for each scenario: a bare Fastify
 * route on the same pool that builds the whole body in memory and sends it, i.e. the
 * service's algorithm before streaming (the same keyset pages of 10 000 members for a group;
 * the one-statement page with every user's groups aggregated for users) without its cut.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:stream
 *
 * Env: BENCH_BIG_GROUP (1000000 members), BENCH_MANY_USERS (1000 users, one list page),
 * BENCH_GROUPS_PER_USER (3000), BENCH_CONCURRENT (20 concurrent user pages of
 * BENCH_CONCURRENT_COUNT = 100 users each; the pool is made as large, so that no request waits
 * for a connection longer than the socket timeout), BENCH_RESULTS_DIR (bench/results).
 * Writes stream.md there.
 * Run with --expose-gc (the npm script does) so each scenario starts from a collected heap.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import http from 'node:http'
import os from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import type { Db } from '../src/db/database.js'
import { findGroupById } from '../src/repositories/group.repository.js'
import { toScimGroupResponse, toScimMember } from '../src/repositories/group.mapper.js'
import { listMembersPage } from '../src/repositories/membership.repository.js'
import { listUsers } from '../src/repositories/user.repository.js'
import { buildListResponse } from '../src/scim/list-params.js'
import { projectResource } from '../src/scim/projection.js'
import { USER_RESOURCE } from '../src/scim/schema/registry.js'
import { toScimUser } from '../src/services/user-groups.stream.js'
import { openBenchDatabase, startApp } from './lib/bench-database.js'
import { listenOnFreePort, writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_stream'
const BIG = Number(process.env.BENCH_BIG_GROUP ?? 1_000_000)
const MANY_USERS = Number(process.env.BENCH_MANY_USERS ?? 1000)
const GROUPS_PER_USER = Number(process.env.BENCH_GROUPS_PER_USER ?? 3000)
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20)
const CONCURRENT_COUNT = Number(process.env.BENCH_CONCURRENT_COUNT ?? 100)
const MB = 1024 * 1024
const FULL_SHAPE = { value: true, display: true, ref: true, type: true }

interface Row {
  readonly name: string
  readonly ms: number
  readonly rssGrowthMb: number
  readonly maxLoopDelayMs: number
  readonly outcome: string
}

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

/**
 * Memberships by INSERT … SELECT, foreign-key triggers skipped for the seed only
 * (session_replication_role = replica, superuser): the rows are valid by construction.
 */
async function seedMemberships (db: Db, groupsLike: string, usersLike: string): Promise<void> {
  await db.transaction().execute(async trx => {
    await sql`set local session_replication_role = replica`.execute(trx)
    await sql`
      insert into group_members (organization_id, group_id, user_id)
      select g.organization_id, g.id, u.id from groups g join users u on u.organization_id = g.organization_id
      where g.display_name like ${groupsLike} and u.user_name like ${usersLike}`.execute(trx)
  })
}

async function seed (db: Db, organizationId: string): Promise<string> {
  const started = performance.now()
  // The users with many groups first: they are the first page of GET /Users.
  await seedUsers(db, organizationId, 'many', MANY_USERS)
  await sql`
    insert into groups (organization_id, display_name, attributes)
    select ${organizationId}::uuid, 'Team ' || i, '{}'::jsonb from generate_series(1, ${GROUPS_PER_USER}::int) as i`.execute(db)
  await seedMemberships(db, 'Team %', 'many%')
  await seedUsers(db, organizationId, 'big', BIG)
  const group = await db.insertInto('groups').values({ organization_id: organizationId, display_name: 'Everyone', attributes: '{}' })
    .returning('id').executeTakeFirstOrThrow()
  await seedMemberships(db, 'Everyone', 'big%')
  await sql`analyze`.execute(db)
  console.log(`seeded ${MANY_USERS} users × ${GROUPS_PER_USER} groups and a group of ${BIG} in ${((performance.now() - started) / 1000).toFixed(0)} s`)
  return group.id
}

/** Reads a whole response, counting bytes and occurrences of `needle`, keeping nothing. */
function fetchCounting (port: number, path: string, headers: Record<string, string>, needle: string): Promise<{ status: number, bytes: number, count: number, ends: boolean }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers, agent: false }, res => {
      let bytes = 0
      let count = 0
      let tail = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        bytes += Buffer.byteLength(chunk)
        const text = tail + chunk
        count += text.split(needle).length - 1
        // Keep less than a needle, so a needle cut between chunks counts once.
        tail = text.slice(-(needle.length - 1))
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, count, ends: tail.endsWith('}') }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

async function collect (): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Peak RSS over the process RSS before `work` (sampled every 10 ms), time, worst event-loop delay. */
async function measure (name: string, work: () => Promise<string>): Promise<Row> {
  await collect()
  const base = process.memoryUsage().rss
  let peak = base
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10)
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = performance.now()
  let outcome: string
  try {
    outcome = await work()
  } catch (error) {
    outcome = `failed: ${(error as Error).message}`
  }
  const ms = performance.now() - started
  peak = Math.max(peak, process.memoryUsage().rss)
  clearInterval(timer)
  delay.disable()
  const row = { name, ms, rssGrowthMb: (peak - base) / MB, maxLoopDelayMs: delay.max / 1e6, outcome }
  console.log(`${name}: ${(ms / 1000).toFixed(2)} s, RSS +${row.rssGrowthMb.toFixed(0)} MB, event loop max ${row.maxLoopDelayMs.toFixed(0)} ms, ${outcome}`)
  return row
}

/** The pre-streaming algorithms on bare routes: everything built in memory, then sent. */
async function startBaseline (db: Db, organizationId: string): Promise<{ app: FastifyInstance, port: number }> {
  const app = Fastify({ logger: false })
  const baseUrl = 'http://127.0.0.1/scim/v2'
  app.get<{ Params: { id: string } }>('/group/:id', async (request, reply) => {
    const text = await db.transaction().setIsolationLevel('repeatable read').execute(async trx => {
      const record = await findGroupById(trx, organizationId, request.params.id)
      if (record === undefined) throw new Error('no group')
      const entries: unknown[] = []
      let after: string | undefined
      for (;;) {
        const page = await listMembersPage(trx, record.id, after, 10_000)
        for (const member of page) entries.push(toScimMember(member, baseUrl, FULL_SHAPE))
        if (page.length < 10_000) break
        after = page[page.length - 1]?.userId
      }
      return JSON.stringify(toScimGroupResponse(record, baseUrl, {}, entries))
    })
    return await reply.type('application/scim+json').send(text)
  })
  app.get<{ Querystring: { count?: string } }>('/users', async (request, reply) => {
    // The former page statement: every group of every user aggregated in one row each.
    const limit = Number(request.query.count ?? MANY_USERS)
    const page = await listUsers(db, organizationId, { sortOrder: 'ascending', offset: 0, limit, groupLimit: 1_000_000_000, baseUrl })
    const resources = page.users.map(user => projectResource(USER_RESOURCE, toScimUser(user.record, user.groups, baseUrl), {}))
    return await reply.type('application/scim+json').send(JSON.stringify(buildListResponse(resources, { totalResults: page.totalResults, startIndex: 1, itemsPerPage: resources.length })))
  })
  return { app, port: await listenOnFreePort(app) }
}

function describe (result: { status: number, bytes: number, count: number, ends: boolean }, what: string): string {
  return `${result.status}, ${(result.bytes / MB).toFixed(0)} MB, ${result.count} ${what}${result.ends ? '' : ', body not terminated'}`
}

async function main (): Promise<void> {
  const bench = await openBenchDatabase(DATABASE, {
    LOG_LEVEL: 'warn', MAX_PAGE_SIZE: String(Math.max(1000, MANY_USERS)), DATABASE_POOL_SIZE: String(Math.max(10, CONCURRENT))
  })
  const db = bench.handle.db
  const { organization, token } = await bench.services.tokens.create('bench')
  const groupId = await seed(db, organization.id)
  const { app, port } = await startApp(bench)
  const baseline = await startBaseline(db, organization.id)
  const headers = { authorization: `Bearer ${token}` }
  const rows: Row[] = []
  const run = async (name: string, work: () => Promise<string>): Promise<void> => { rows.push(await measure(name, work)) }

  await run('GET /Groups/{id}?excludedAttributes=members (cost floor)', async () =>
    describe(await fetchCounting(port, `/scim/v2/Groups/${groupId}?excludedAttributes=members`, headers, '"type":"User"'), 'members'))
  await run(`baseline: group of ${BIG} built in memory, then sent`, async () =>
    describe(await fetchCounting(baseline.port, `/group/${groupId}`, {}, '"type":"User"'), 'members'))
  await run(`GET /Groups/{id}, ${BIG} members, streamed`, async () =>
    describe(await fetchCounting(port, `/scim/v2/Groups/${groupId}`, headers, '"type":"User"'), 'members'))
  await run(`GET /Groups?filter=displayName eq "Everyone" (list page), streamed`, async () =>
    describe(await fetchCounting(port, '/scim/v2/Groups?filter=displayName%20eq%20%22Everyone%22', headers, '"type":"User"'), 'members'))
  await run(`baseline: ${MANY_USERS} users × ${GROUPS_PER_USER} groups in one statement, then sent`, async () =>
    describe(await fetchCounting(baseline.port, '/users', {}, '"type":"direct"'), 'groups'))
  await run(`GET /Users?count=${MANY_USERS}, ${GROUPS_PER_USER} groups each, streamed`, async () =>
    describe(await fetchCounting(port, `/scim/v2/Users?count=${MANY_USERS}`, headers, '"type":"direct"'), 'groups'))
  const each = Math.min(CONCURRENT_COUNT, MANY_USERS) * GROUPS_PER_USER
  await run(`baseline: ${CONCURRENT_COUNT} users × ${GROUPS_PER_USER} groups in one statement, then sent`, async () =>
    describe(await fetchCounting(baseline.port, `/users?count=${CONCURRENT_COUNT}`, {}, '"type":"direct"'), 'groups'))
  await run(`GET /Users?count=${CONCURRENT_COUNT}, streamed`, async () =>
    describe(await fetchCounting(port, `/scim/v2/Users?count=${CONCURRENT_COUNT}`, headers, '"type":"direct"'), 'groups'))
  await run(`${CONCURRENT} concurrent GET /Users?count=${CONCURRENT_COUNT}, streamed`, async () => {
    const results = await Promise.all(Array.from({ length: CONCURRENT }, async () =>
      await fetchCounting(port, `/scim/v2/Users?count=${CONCURRENT_COUNT}`, headers, '"type":"direct"').catch(() => undefined)))
    const complete = results.filter(r => r !== undefined && r.status === 200 && r.ends && r.count === each).length
    return `${complete}/${CONCURRENT} complete (${each} groups each)`
  })

  await app.close()
  await baseline.app.close()
  await bench.handle.close()

  const lines = [
    '# Streamed responses benchmark', '',
    'Generated by `npm run bench:stream` (bench/stream.ts). One run; times are indicative for this machine only, ratios less so.', '',
    `- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB, load average at the end ${os.loadavg().map(l => l.toFixed(1)).join(' ')}`,
    `- node ${process.version}; Postgres pool ${bench.config.databasePoolSize}; load generator (counting bytes and entries, keeping nothing) in the same process as the service`,
    `- data: a group of ${BIG} members; ${MANY_USERS} users in ${GROUPS_PER_USER} groups each (the first page of GET /Users)`,
    '- RSS growth: peak process RSS (sampled every 10 ms) over the RSS before the scenario, after a full GC',
    '- baselines: bare Fastify routes on the same pool building the whole body in memory, as the service did before streaming (without its cut at 100 000)', '',
    '| scenario | time s | RSS growth MB | max event-loop delay ms | outcome |', '|---|---:|---:|---:|---|',
    ...rows.map(r => `| ${r.name} | ${(r.ms / 1000).toFixed(2)} | ${r.rssGrowthMb.toFixed(0)} | ${r.maxLoopDelayMs.toFixed(0)} | ${r.outcome} |`), ''
  ]
  console.log(`wrote ${await writeResult('stream.md', lines.join('\n'))}`)
}

main().catch(error => {
  console.error(error)
  process.exit(1)
})
