/**
 * Substring filters (`co`, `sw`, `ew`) as the admin console sends them, on a real Postgres
 * database `scim_bench_substring` with BENCH_USERS users (200 000) and as many groups: the
 * count and first page of each filter, exactly as the repository builds them, EXPLAIN
 * (ANALYZE) with the trigram indexes of migration 0005, and again in the same run with those
 * indexes dropped (the "before"). Writes bench/results/substring.md (or BENCH_RESULTS_DIR).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:substring
 */
import { sql } from 'kysely'
import pg from 'pg'
import { compileGroupFilter } from '../src/repositories/filter-sql.js'
import { userCountQuery, userListQuery } from '../src/repositories/user.repository.js'
import { parseResolvedFilter } from '../src/scim/filter/resolve.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../src/scim/schema/registry.js'
import type { Db } from '../src/db/database.js'
import { openBenchDatabase } from './lib/bench-database.js'
import { writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_substring'
const USERS = Number(process.env.BENCH_USERS ?? 200_000)
const TRIGRAM_INDEXES = {
  users__lower_user_name_trgm__idx: 'create index users__lower_user_name_trgm__idx on users using gin (lower(user_name) gin_trgm_ops)',
  users__lower_display_name_trgm__idx: 'create index users__lower_display_name_trgm__idx on users using gin (lower(display_name) gin_trgm_ops)',
  users__emails_values_trgm__idx: 'create index users__emails_values_trgm__idx on users using gin (scim_lower_values_text(attributes -> \'emails\') gin_trgm_ops)',
  groups__lower_display_name_trgm__idx: 'create index groups__lower_display_name_trgm__idx on groups using gin (lower(display_name) gin_trgm_ops)'
}

const SURNAMES = ['Garcia', 'Nguyen', 'Smith', 'Okafor', 'Kowalski', 'Tanaka', 'Haddad', 'Johansson', 'Rossi', 'Dubois', 'Mbeki', 'Novak']

async function seed (db: Db, organizationId: string): Promise<void> {
  await sql`
    insert into users (organization_id, user_name, display_name, user_type, active, attributes)
    select ${organizationId}::uuid, u.user_name, u.display_name, 'customer', true, jsonb_build_object(
        'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
        'userName', u.user_name, 'displayName', u.display_name, 'userType', 'customer', 'active', true,
        'emails', jsonb_build_array(
          jsonb_build_object('value', u.mail, 'type', 'work', 'primary', true),
          jsonb_build_object('value', 'home' || u.i || '@mail.example', 'type', 'home')))
    from (select i, 'user' || i || '@corp.example' as user_name,
            (array[${sql.raw(SURNAMES.map(s => `'${s}'`).join(','))}])[1 + i % ${SURNAMES.length}] || ' ' || md5(i::text) as display_name,
            'first.last' || i || '@Work.example' as mail
          from generate_series(1, ${USERS}::int) as i) as u`.execute(db)
  await sql`insert into groups (organization_id, display_name, attributes)
    select ${organizationId}::uuid, 'Team ' || md5('g' || g) || ' ' || g, '{}'::jsonb from generate_series(1, ${USERS}::int) as g`.execute(db)
  await sql`analyze users`.execute(db)
  await sql`analyze groups`.execute(db)
}

interface Measured { plan: string, ms: number, rows: number }

async function explain (pool: pg.Pool, compiled: { sql: string, parameters: readonly unknown[] }): Promise<Measured> {
  const result = await pool.query(`explain (analyze, buffers, format text) ${compiled.sql}`, [...compiled.parameters])
  const lines = result.rows.map(row => row['QUERY PLAN'] as string)
  const execution = lines.find(line => line.startsWith('Execution Time'))
  const actualRows = /actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(lines[0] ?? '')
  return { plan: lines.join('\n'), ms: Number(/([\d.]+) ms/.exec(execution ?? '')?.[1] ?? NaN), rows: Number(actualRows?.[1] ?? NaN) }
}

async function main (): Promise<void> {
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'warn' })
  const { handle, config } = bench
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 })
  try {
    const org = (await handle.db.insertInto('organizations').values({ name: 'substring' }).returning('id').executeTakeFirstOrThrow()).id
    const started = Date.now()
    await seed(handle.db, org)
    process.stderr.write(`seeded ${USERS} users and groups in ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
    const queries: Array<{ title: string, compile: () => { sql: string, parameters: readonly unknown[] } }> = []
    for (const text of ['userName co "r12345@"', 'userName ew "99999@corp.example"', 'displayName co "0eea8a706c"', 'emails.value co "last12345@"',
      'emails[type eq "work" and value ew "st54321@work.example"]', 'emails.value sw "first.last7777@"']) {
      const filter = parseResolvedFilter(USER_RESOURCE, text)
      queries.push({ title: `Users filter=${text}: totalResults`, compile: () => userCountQuery(handle.db, org, filter).compile() })
      queries.push({ title: `Users filter=${text}: page`, compile: () => userListQuery(handle.db, org, { filter, sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 0 }).compile() })
    }
    for (const text of ['displayName co "7aef347c82"', 'displayName ew " 123456"']) {
      const filter = parseResolvedFilter(GROUP_RESOURCE, text)
      queries.push({
        title: `Groups filter=${text}: page`,
        compile: () => handle.db.selectFrom('groups').select(['id', 'display_name']).where('organization_id', '=', org)
          .where(eb => compileGroupFilter(eb, filter)).orderBy('created_at').orderBy('id').limit(100).compile()
      })
    }
    const after: Measured[] = []
    for (const query of queries) after.push(await explain(pool, query.compile()))
    for (const name of Object.keys(TRIGRAM_INDEXES)) await pool.query(`drop index ${name}`)
    const before: Measured[] = []
    for (const query of queries) before.push(await explain(pool, query.compile()))
    for (const create of Object.values(TRIGRAM_INDEXES)) await pool.query(create)
    const version = (await pool.query('select version()')).rows[0].version as string

    const lines = [
      '# Substring filters benchmark', '',
      'Generated by `npm run bench:substring` (bench/substring.ts). EXPLAIN (ANALYZE, BUFFERS) of each query exactly as the',
      'repository builds it, with the trigram indexes of migration 0005 ("after"), then in the same run with them dropped',
      '("before"). One run; execution times are indicative for this machine only (2 shared cores, heavily loaded).', '',
      `- ${USERS} users and ${USERS} groups in one organization; ${version}`, '',
      '| query | rows | before ms | after ms | before / after |', '|---|---:|---:|---:|---:|',
      ...queries.map((query, i) => {
        const b = before[i] as Measured
        const a = after[i] as Measured
        return `| ${query.title.replace(/\|/g, '\\|')} | ${a.rows} | ${b.ms.toFixed(1)} | ${a.ms.toFixed(1)} | ${(b.ms / a.ms).toFixed(0)}× |`
      }), '',
      '## Plans with the trigram indexes', '',
      ...queries.flatMap((query, i) => [`### ${query.title}`, '', '```sql', query.compile().sql, '```', '', '```', (after[i] as Measured).plan, '```', '']),
      '## Plans without them (top of each plan)', '',
      ...queries.flatMap((query, i) => [`### ${query.title}`, '', '```', (before[i] as Measured).plan.split('\n').slice(0, 8).join('\n'), '```', ''])
    ]
    const file = await writeResult('substring.md', lines.join('\n'))
    process.stdout.write(`${lines.slice(0, 9 + queries.length).join('\n')}\nWrote ${file}\n`)
  } finally {
    await pool.end()
    await handle.close()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:substring failed: ${String((error as Error)?.stack ?? error)}\n`)
  process.exitCode = 1
})
