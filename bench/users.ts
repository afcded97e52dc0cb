/**
 * /Users benchmark (issue 4): a real Postgres database `scim_bench_users` with 100 000 users,
 * the app listening on a free port, and N keep-alive workers per scenario for a fixed time.
 * Next to it, in the same run, a baseline: a bare Fastify route doing one primary-key SELECT
 * through the same pool, i.e. the floor that HTTP + pg impose before any SCIM work; and the
 * same route with the bearer-token check every SCIM request pays.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:users
 *
 * Env: BENCH_USERS (100000), BENCH_SECONDS per scenario (5), BENCH_CONCURRENCY (16),
 * DATABASE_POOL_SIZE (10), BENCH_RESULTS_DIR (bench/results). Writes users.md there, including
 * EXPLAIN (ANALYZE) of the filter queries exactly as the repository builds them.
 */
import Fastify from 'fastify'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { sql } from 'kysely'
import pg from 'pg'
import type { Db } from '../src/db/database.js'
import { PROJECT_ROOT } from '../src/project-root.js'
import { userCountQuery, userListQuery } from '../src/repositories/user.repository.js'
import { parseResolvedFilter } from '../src/scim/filter/resolve.js'
import { USER_RESOURCE } from '../src/scim/schema/registry.js'
import { openBenchDatabase, startApp } from './lib/bench-database.js'
import { listenOnFreePort, reportHead, send, type Stats, summarize, type Target, writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_users'
const USERS = Number(process.env.BENCH_USERS ?? 100_000)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
const GROUPS = 100
const MEMBERS = Math.min(USERS, 20_000)

/** One INSERT … SELECT generate_series: the same layout the mapper writes (columns + jsonb). */
async function seedUsers (db: Db, organizationId: string, count: number): Promise<void> {
  await sql`
    insert into users (organization_id, user_name, external_id, display_name, user_type, active, attributes, created_at, last_modified)
    select ${organizationId}::uuid, u.user_name, u.external_id, u.display_name, 'customer', u.active,
      jsonb_build_object(
        'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
        'userName', u.user_name, 'externalId', u.external_id, 'displayName', u.display_name,
        'userType', 'customer', 'active', u.active,
        'name', jsonb_build_object('givenName', 'Bench', 'familyName', 'User ' || u.i),
        'emails', jsonb_build_array(jsonb_build_object('value', 'mail' || u.i || '@work.bench.example', 'type', 'work', 'primary', true))),
      now() - make_interval(secs => ${count}::int - u.i), now() - make_interval(secs => ${count}::int - u.i)
    from (select i, 'user' || i || '@bench.example' as user_name, 'ext-' || i as external_id,
            'Bench User ' || i as display_name, i % 10 <> 0 as active
          from generate_series(1, ${count}::int) as i) as u`.execute(db)
}

async function seedGroups (db: Db, organizationId: string): Promise<void> {
  await sql`insert into groups (organization_id, display_name, created_at, last_modified)
    select ${organizationId}::uuid, 'Bench Group ' || g, now(), now() from generate_series(1, ${GROUPS}::int) as g`.execute(db)
  await sql`insert into group_members (organization_id, group_id, user_id)
    select ${organizationId}::uuid, g.id, u.id
    from (select id, row_number() over (order by created_at, id) as n from users where organization_id = ${organizationId}::uuid) as u
    join (select id, row_number() over (order by display_name) as n from groups where organization_id = ${organizationId}::uuid) as g
      on g.n = (u.n % ${GROUPS}::int) + 1
    where u.n <= ${MEMBERS}::int`.execute(db)
  // A database in steady state has an up-to-date visibility map: count(*) can use index-only scans.
  await sql`vacuum analyze`.execute(db)
}

/** N workers, each sending its next request as soon as the previous answer arrived. */
async function runScenario (name: string, port: number, headers: Record<string, string>, next: () => Target): Promise<Stats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const latencies: number[] = []
  let errors = 0
  const started = performance.now()
  const deadline = started + SECONDS * 1000
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const target = next()
      const t0 = performance.now()
      const status = await send(agent, port, headers, target).catch(() => 0)
      latencies.push(performance.now() - t0)
      if (status !== target.expect) errors++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = (performance.now() - started) / 1000
  agent.destroy()
  const stats = summarize(name, latencies, errors, elapsed)
  console.log(`${name}: ${stats.rps.toFixed(0)} req/s, p50 ${stats.p50.toFixed(2)} ms, p99 ${stats.p99.toFixed(2)} ms, errors ${errors}`)
  return stats
}

async function explain (pool: pg.Pool, title: string, compiled: { sql: string, parameters: readonly unknown[] }): Promise<string> {
  const result = await pool.query(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters])
  const plan = result.rows.map(row => row['QUERY PLAN'] as string).join('\n')
  return `### ${title}\n\n\`\`\`sql\n${compiled.sql}\n\`\`\`\n\n\`\`\`\n${plan}\n\`\`\`\n`
}

async function explainFilters (db: Db, pool: pg.Pool, organizationId: string): Promise<string[]> {
  const filters = [
    'userName eq "USER54321@bench.example"',
    'externalId eq "ext-54321"',
    'emails[type eq "work"].value eq "mail54321@work.bench.example"',
    'emails.value eq "MAIL54321@work.bench.example"',
    'displayName eq "bench user 54321"',
    'displayName sw "Bench User 5432"',
    'userName sw "USER5432"',
    // The admin console's search (migration 0005: trigram indexes); bench:substring has more.
    'userName co "ser5432"',
    'emails.value co "il54321@"'
  ]
  const plans: string[] = []
  for (const text of filters) {
    const filter = parseResolvedFilter(USER_RESOURCE, text)
    plans.push(await explain(pool, `filter=${text}: page`, userListQuery(db, organizationId, { filter, sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 101 }).compile()))
    plans.push(await explain(pool, `filter=${text}: totalResults`, userCountQuery(db, organizationId, filter).compile()))
  }
  plans.push(await explain(pool, 'no filter, startIndex=50001&count=100: page', userListQuery(db, organizationId, { sortOrder: 'ascending', offset: 50_000, limit: 100, groupLimit: 101 }).compile()))
  return plans
}

function report (stats: Stats[], plans: string[], environment: Record<string, string>): string {
  return [
    ...reportHead('/Users', 'users', environment, stats),
    '## Query plans of the filter queries (as the repository builds them)', '', ...plans
  ].join('\n')
}

async function main (): Promise<void> {
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'warn', MAX_PAGE_SIZE: '1000' })
  const { config, handle, services } = bench
  const explainPool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 })
  try {
    const token = await services.tokens.create('bench')
    const otherOrg = await services.tokens.create('bench-other')
    let t0 = performance.now()
    await seedUsers(handle.db, token.organization.id, USERS)
    await seedUsers(handle.db, otherOrg.organization.id, Math.floor(USERS / 10))
    await seedGroups(handle.db, token.organization.id)
    const seedSeconds = (performance.now() - t0) / 1000
    console.log(`seeded ${USERS} users (+${Math.floor(USERS / 10)} in another organization) in ${seedSeconds.toFixed(1)} s`)

    const { app, port } = await startApp(bench)
    // Defined here rather than shared: each benchmark's floor reads the table it exercises.
    const baseline = Fastify({ logger: false })
    baseline.get<{ Params: { id: string } }>('/baseline/:id', async request =>
      await handle.db.selectFrom('users').select(['id', 'user_name']).where('id', '=', request.params.id).executeTakeFirst())
    // The same plus the token check every SCIM request pays (auth plugin), to separate it out.
    baseline.get<{ Params: { id: string } }>('/baseline-auth/:id', async (request, reply) => {
      const organization = await services.tokens.authenticate(String(request.headers.authorization).slice(7))
      if (organization === undefined) return reply.code(401).send()
      return await handle.db.selectFrom('users').select(['id', 'user_name']).where('id', '=', request.params.id).executeTakeFirst()
    })
    const basePort = await listenOnFreePort(baseline)

    const ids = (await sql<{ id: string }>`select id from users where organization_id = ${token.organization.id}::uuid order by random() limit 5000`.execute(handle.db)).rows.map(r => r.id)
    const pickId = () => ids[Math.floor(Math.random() * ids.length)] as string
    const pickN = () => 1 + Math.floor(Math.random() * USERS)
    const headers = { authorization: `Bearer ${token.token}`, accept: 'application/scim+json' }
    let created = 0

    t0 = performance.now()
    const stats: Stats[] = []
    stats.push(await runScenario('baseline: bare Fastify, one PK SELECT', basePort, {}, () => ({ method: 'GET', path: `/baseline/${pickId()}`, expect: 200 })))
    stats.push(await runScenario('baseline + bearer token check', basePort, headers, () => ({ method: 'GET', path: `/baseline-auth/${pickId()}`, expect: 200 })))
    stats.push(await runScenario('GET /Users/{id}', port, headers, () => ({ method: 'GET', path: `/scim/v2/Users/${pickId()}`, expect: 200 })))
    stats.push(await runScenario('GET /Users?filter=userName eq', port, headers, () => ({ method: 'GET', path: `/scim/v2/Users?filter=userName+eq+%22USER${pickN()}%40bench.example%22`, expect: 200 })))
    stats.push(await runScenario('GET /Users?filter=emails[type eq "work"].value eq', port, headers, () => ({ method: 'GET', path: `/scim/v2/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "mail${pickN()}@work.bench.example"`)}`, expect: 200 })))
    stats.push(await runScenario('POST /Users', port, headers, () => ({ method: 'POST', path: '/scim/v2/Users', body: { userName: `new${++created}@bench.example`, name: { givenName: 'New' }, emails: [{ value: `new${created}@work.bench.example`, type: 'work' }] }, expect: 201 })))
    stats.push(await runScenario('PATCH /Users/{id} (replace title)', port, headers, () => ({ method: 'PATCH', path: `/scim/v2/Users/${pickId()}`, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `t${Math.random()}` }] }, expect: 200 })))
    stats.push(await runScenario('GET /Users pages of 100 (startIndex 1..10 001)', port, headers, () => ({ method: 'GET', path: `/scim/v2/Users?startIndex=${1 + 100 * Math.floor(Math.random() * 101)}&count=100`, expect: 200 })))
    stats.push(await runScenario('GET /Users pages of 100 (startIndex anywhere in 100k)', port, headers, () => ({ method: 'GET', path: `/scim/v2/Users?startIndex=${1 + 100 * Math.floor(Math.random() * (USERS / 100))}&count=100`, expect: 200 })))
    const benchSeconds = (performance.now() - t0) / 1000

    const plans = await explainFilters(handle.db, explainPool, token.organization.id)
    const version = (await explainPool.query('select version()')).rows[0].version as string
    const environment = {
      users: `${USERS} in the measured organization (+${Math.floor(USERS / 10)} in another), ${GROUPS} groups with ${MEMBERS} memberships; seeded in ${seedSeconds.toFixed(1)} s`,
      load: `${CONCURRENCY} concurrent keep-alive workers (node:http Agent), ${SECONDS} s per scenario, ${benchSeconds.toFixed(0)} s in all`,
      pool: `DATABASE_POOL_SIZE=${config.databasePoolSize}, app log level warn`,
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
      postgres: version.split(',')[0] ?? version
    }
    const file = await writeResult('users.md', report(stats, plans, environment))
    // Relative when inside the project, as before BENCH_RESULTS_DIR existed.
    console.log(`wrote ${file.startsWith(PROJECT_ROOT) ? path.relative(PROJECT_ROOT, file) : file}`)
    await app.close()
    await baseline.close()
  } finally {
    await explainPool.end()
    await handle.close()
  }
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
