/**
 * Data for `npm run bench:compare`, seeded set-based (INSERT … SELECT generate_series) in the
 * layout user.mapper.ts writes, and reused by later runs while the sizes match:
 *
 * - organization `bench`: `users` users with a work email and an externalId (the lookups,
 *   POST, PATCH and pages run here), a group of `medium` members (users 1…medium) and
 *   1 000 more groups without members (the /Groups page);
 * - organization `bench-big`: `big` users that are members of one group (the 1M group) and
 *   `free` more that are not, to add, and a group of `medium` of those members (the first ones)
 *   that is the 1M group's small counterpart in the same organization: changes to the two
 *   differ only in the group's size, not in the organization's (its users' indexes and the
 *   pages the other scenarios keep cached).
 */
import { sql } from 'kysely'
import type { Db } from '../../src/db/database.js'
import { ensureOrganization } from '../../src/repositories/organization.repository.js'

export interface CompareSizes { users: number, medium: number, big: number, free: number }
export interface CompareData {
  org: string, bigOrg: string, mediumGroup: string, bigGroup: string,
  /** The `medium`-member group of `bigOrg`. */
  bigOrgMediumGroup: string
}

/** Part of the seed's key: a seed of an earlier layout (without bigOrgMediumGroup) is not reused. */
const LAYOUT = 2

const FILLER_GROUPS = 1000
const SEED_TABLE = 'bench_compare_seed'

async function seedUsers (db: Db, organizationId: string, prefix: string, from: number, count: number, full: boolean): Promise<void> {
  // created_at one microsecond apart: a stable, distinct keyset order like real inserts.
  await sql`
    insert into users (organization_id, user_name, external_id, display_name, user_type, active, attributes, created_at, last_modified)
    select ${organizationId}::uuid, u.user_name, u.external_id, u.display_name, 'customer', true,
      jsonb_strip_nulls(jsonb_build_object(
        'schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
        'userName', u.user_name, 'externalId', u.external_id, 'displayName', u.display_name, 'userType', 'customer', 'active', true,
        'name', case when ${full} then jsonb_build_object('givenName', 'Bench', 'familyName', 'User ' || u.i) end,
        'emails', case when ${full} then jsonb_build_array(jsonb_build_object('value', 'mail' || u.i || '@work.bench.example', 'type', 'work', 'primary', true)) end)),
      timestamptz '2026-01-01' + make_interval(secs => u.i / 1000000.0), timestamptz '2026-01-01' + make_interval(secs => u.i / 1000000.0)
    from (select i, ${prefix} || i || '@bench.example' as user_name,
            case when ${full} then 'ext-' || i end as external_id, 'Bench ' || ${prefix} || ' ' || i as display_name
          from generate_series(${from}::int, ${from + count - 1}::int) as i) as u`.execute(db)
}

async function insertGroup (db: Db, organizationId: string, name: string): Promise<string> {
  const row = await db.insertInto('groups').values({ organization_id: organizationId, display_name: name, attributes: '{}' })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

/**
 * The foreign-key triggers are skipped for the seed only (session_replication_role, as
 * bench/groups.ts does): the rows are valid by construction (customers of the organization).
 */
async function seedMembers (db: Db, organizationId: string, groupId: string, prefix: string, count: number): Promise<void> {
  await db.transaction().execute(async trx => {
    await sql`set local session_replication_role = replica`.execute(trx)
    await sql`
      insert into group_members (organization_id, group_id, user_id)
      select ${organizationId}::uuid, ${groupId}::uuid, id from users
      where organization_id = ${organizationId}::uuid and user_name like ${prefix + '%'}
      order by created_at limit ${count}::int`.execute(trx)
  })
}

function seedKey (sizes: CompareSizes): string {
  return JSON.stringify({ ...sizes, layout: LAYOUT })
}

/** The seed of an earlier run, if it was made with the same sizes and layout. */
async function findSeed (db: Db, sizes: CompareSizes): Promise<CompareData | undefined> {
  await sql`create table if not exists ${sql.table(SEED_TABLE)} (sizes text primary key, data jsonb not null)`.execute(db)
  const row = await sql<{ data: CompareData }>`select data from ${sql.table(SEED_TABLE)} where sizes = ${seedKey(sizes)}`.execute(db)
  return row.rows[0]?.data
}

/** Seeds unless an identical seed exists; returns ids and whether it seeded. */
export async function seedCompare (db: Db, sizes: CompareSizes): Promise<{ data: CompareData, seeded: boolean }> {
  const existing = await findSeed(db, sizes)
  if (existing !== undefined) return { data: existing, seeded: false }
  await sql`truncate organizations, ${sql.table(SEED_TABLE)} cascade`.execute(db)
  const org = (await ensureOrganization(db, 'bench')).id
  const bigOrg = (await ensureOrganization(db, 'bench-big')).id
  await seedUsers(db, org, 'user', 1, sizes.users, true)
  await seedUsers(db, bigOrg, 'member', 1, sizes.big, false)
  await seedUsers(db, bigOrg, 'free', 1, sizes.free, false)
  const mediumGroup = await insertGroup(db, org, 'Bench medium')
  await sql`insert into groups (organization_id, display_name, attributes, created_at)
    select ${org}::uuid, 'Bench Filler ' || g, '{}', timestamptz '2026-01-01' + make_interval(secs => g)
    from generate_series(1, ${FILLER_GROUPS}::int) as g`.execute(db)
  const bigGroup = await insertGroup(db, bigOrg, 'Bench big')
  const bigOrgMediumGroup = await insertGroup(db, bigOrg, 'Bench big medium')
  await seedMembers(db, org, mediumGroup, 'user', sizes.medium)
  await seedMembers(db, bigOrg, bigGroup, 'member', sizes.big)
  await seedMembers(db, bigOrg, bigOrgMediumGroup, 'member', sizes.medium)
  // A database in steady state has statistics and a visibility map (index-only counts).
  await sql`vacuum analyze`.execute(db)
  const data = { org, bigOrg, mediumGroup, bigGroup, bigOrgMediumGroup }
  await sql`insert into ${sql.table(SEED_TABLE)} (sizes, data) values (${seedKey(sizes)}, ${JSON.stringify(data)})`.execute(db)
  return { data, seeded: true }
}
