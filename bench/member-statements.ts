/**
 * What a membership change costs Postgres, without HTTP: pgbench, 10 clients (the service's
 * default pool), each removing a random member of a 100 000-member group and adding it back
 * (two transactions), all on one group, so the changes queue on the group row's lock and the
 * rate measures the work done under it. Interleaved rounds of:
 *
 * - bare: the one-statement change of bench/compare-baseline.ts (version bump, delete or insert);
 * - bare + event: the same statement also inserting a change event row;
 * - 0011: the membership function of migration 0011, with the events' foreign key to
 *   organizations that migration 0012 dropped (put back for its rounds);
 * - service: scim_change_group_members_recorded as migrated (0012).
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:member-statements
 *
 * Needs pgbench (the PostgreSQL server package has it). Env: BENCH_ROUNDS (5), BENCH_SECONDS
 * per run (6), DATABASE_POOL_SIZE (10), BENCH_RESULTS_DIR (bench/results). Writes
 * member-statements.md there. Database `scim_bench_member_statements` (dropped and recreated).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { PROJECT_ROOT } from '../src/project-root.js'
import { openBenchDatabase } from './lib/bench-database.js'
import { median, writeResult } from './lib/http-load.js'

const DATABASE = 'scim_bench_member_statements'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const CLIENTS = Number(process.env.DATABASE_POOL_SIZE ?? 10)
const USERS = 100_000
const ORG = '11111111-1111-4111-8111-111111111111'
const GROUP = '22222222-2222-4222-8222-222222222222'
/** User n's id: pgbench can compute it from a random n. */
const USER_ID = "('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid"
const EVENTS_FOREIGN_KEY = 'alter table events add constraint events__organization_id__fkey foreign key (organization_id) references organizations (id) on delete cascade'

function findPgbench (): string {
  const onPath = spawnSync('pgbench', ['--version'])
  if (onPath.status === 0) return 'pgbench'
  const root = '/usr/lib/postgresql'
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const version of versions) {
    const candidate = path.join(root, version, 'bin', 'pgbench')
    if (fs.existsSync(candidate)) return candidate
  }
  throw new Error('pgbench not found (install the PostgreSQL server or client package)')
}

interface Variant { name: string, remove: string, add: string, foreignKey: boolean }

const bareChange = (change: string, event: boolean): string =>
  `with g as (update groups set version = version + 1, last_modified = now() where organization_id = '${ORG}' and id = '${GROUP}' returning organization_id, id, version), ` +
  `c as (${change})` +
  (event
    ? ', e as (insert into events (organization_id, seq, resource_type, resource_id, operation, resource_version, attributes, members_added, members_removed, actor_label, request_id) ' +
      `select g.organization_id, nextval('events__seq__seq'), 'Group', g.id, 'patch', g.version, array['members'], ${change.startsWith('insert') ? `array[${USER_ID}], '{}'` : `'{}', array[${USER_ID}]`}, 'bench', 'req' from g)`
    : '') +
  ' select 1'
const bareRemove = `delete from group_members m using g where m.group_id = g.id and m.user_id = ${USER_ID} returning m.user_id`
const bareAdd = `insert into group_members (organization_id, group_id, user_id) select g.organization_id, g.id, ${USER_ID} from g on conflict do nothing returning user_id`
const functionChange = (fn: string, add: boolean): string =>
  `select * from ${fn}('${ORG}', '${GROUP}', ${add ? `array[${USER_ID}]` : "'{}'"}, ${add ? "'{}'" : `array[${USER_ID}]`}, null, null, 'bench', 'req')`

const VARIANTS: Variant[] = [
  { name: 'bare', remove: bareChange(bareRemove, false), add: bareChange(bareAdd, false), foreignKey: false },
  { name: 'bare + event', remove: bareChange(bareRemove, true), add: bareChange(bareAdd, true), foreignKey: false },
  { name: '0011 (with the events foreign key)', remove: functionChange('bench_members_0011', false), add: functionChange('bench_members_0011', true), foreignKey: true },
  { name: 'service (0012)', remove: functionChange('scim_change_group_members_recorded', false), add: functionChange('scim_change_group_members_recorded', true), foreignKey: false }
]

async function main (): Promise<void> {
  const pgbench = findPgbench()
  const bench = await openBenchDatabase(DATABASE, { LOG_LEVEL: 'warn' })
  const db = bench.handle.db
  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-member-statements-'))
  try {
    await sql`insert into organizations (id, name) values (${ORG}::uuid, 'bench')`.execute(db)
    await sql`insert into users (id, organization_id, user_name)
      select ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, ${ORG}::uuid, 'user' || n || '@bench.example'
      from generate_series(1, ${USERS}::int) as n`.execute(db)
    await sql`insert into groups (id, organization_id, display_name) values (${GROUP}::uuid, ${ORG}::uuid, 'Everyone')`.execute(db)
    await sql`insert into group_members (organization_id, group_id, user_id) select ${ORG}::uuid, ${GROUP}::uuid, id from users`.execute(db)
    await sql`analyze`.execute(db)
    // Migration 0011's function as it was, under another name.
    const m0011 = fs.readFileSync(path.join(PROJECT_ROOT, 'migrations', '0011_member_changes_generic_plans.sql'), 'utf8')
    await sql.raw(m0011.replace('create or replace function scim_change_group_members_recorded(', 'create function bench_members_0011(')).execute(db)

    const url = new URL(process.env.DATABASE_URL as string)
    url.pathname = `/${DATABASE}`
    const files = VARIANTS.map((variant, i) => {
      const file = path.join(scripts, `variant-${i}.sql`)
      fs.writeFileSync(file, `\\set n random(1, ${USERS})\n${variant.remove};\n${variant.add};\n`)
      return file
    })
    const rates: number[][] = VARIANTS.map(() => [])
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round backwards, so no variant always runs first or last.
      const order = VARIANTS.map((_, i) => i)
      if (round % 2 === 1) order.reverse()
      for (const i of order) {
        const variant = VARIANTS[i] as Variant
        await sql`truncate events cascade`.execute(db)
        await sql`alter table events drop constraint if exists events__organization_id__fkey`.execute(db)
        if (variant.foreignKey) await sql.raw(EVENTS_FOREIGN_KEY).execute(db)
        const out = execFileSync(pgbench, ['-n', '-M', 'prepared', '-c', String(CLIENTS), '-j', '2', '-T', String(SECONDS), '-f', files[i] as string, url.toString()], { encoding: 'utf8' })
        const tps = /tps = ([\d.]+)/.exec(out)
        if (tps === null) throw new Error(`pgbench printed no tps:\n${out}`)
        rates[i]?.push(Number(tps[1]))
        console.log(`round ${round + 1}: ${variant.name} ${Number(tps[1]).toFixed(0)} pairs/s`)
      }
    }
    await sql`truncate events cascade`.execute(db)

    const bare = rates[0] as number[]
    const before = rates[2] as number[]
    const fmt = (values: number[], digits: number): string => `${median(values).toFixed(digits)} | ${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`
    const lines = [
      '# Membership change statements (`npm run bench:member-statements`)', '',
      'Generated by `npm run bench:member-statements` (bench/member-statements.ts).', '',
      `- machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average (1 min) ${(os.loadavg()[0] ?? 0).toFixed(2)} at the end`,
      `- pgbench ${CLIENTS} clients, ${ROUNDS} interleaved rounds of ${SECONDS} s per variant; one transaction pair = remove a random member of a ${USERS.toLocaleString('en')}-member group, then add it back`,
      '- ratios are per round, the median and range over the rounds', '',
      '| variant | pairs/s (median) | range | ÷ bare | range | ÷ 0011 | range |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...VARIANTS.map((variant, i) => {
        const own = rates[i] as number[]
        return `| ${variant.name} | ${fmt(own, 0)} | ${fmt(own.map((r, k) => r / (bare[k] as number)), 2)} | ${fmt(own.map((r, k) => r / (before[k] as number)), 2)} |`
      }),
      ''
    ]
    const file = await writeResult('member-statements.md', lines.join('\n'))
    console.log(lines.join('\n'))
    console.log(`wrote ${file}`)
  } finally {
    fs.rmSync(scripts, { recursive: true, force: true })
    await bench.handle.close()
  }
}

main().catch(error => {
  console.error(error)
  process.exitCode = 1
})
