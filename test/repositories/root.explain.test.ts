/**
 * Root-level pages read what the page needs, not the tenant: with 20 000 users and 2 000
 * groups, EXPLAIN ANALYZE of the root queries shows each branch as an index scan cut by its
 * limit (cursor pages, default order) or using the lookup index a typed endpoint would
 * (Entra-style `displayName eq`, `userName eq`). The plans are printed as comments.
 */
import { sql, type RawBuilder } from 'kysely'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { rootKeysetQuery, rootPageQuery, type RootBranch } from '../../src/repositories/root.repository.js'
import { prepareRootListQuery } from '../../src/scim/root-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { createTestDatabase } from '../helpers/database.js'

const USERS = 20_000
const GROUPS = 2_000
const BASE_URL = 'https://scim.example.com/scim/v2'
const ROOT = [USER_RESOURCE, GROUP_RESOURCE] as const

function branchesFor (filter: string | undefined): RootBranch[] {
  const query = prepareRootListQuery(ROOT, filter === undefined ? {} : { filter }, { defaultCount: 100, maxCount: 1000 })
  return query.types.map(type => ({ type: type.resource === USER_RESOURCE ? 'User' : 'Group', filter: type.filter }))
}

/** EXPLAIN ANALYZE of a query: the plan text, and the rows each scan node actually produced. */
async function explain (db: Db, query: RawBuilder<unknown>, label: string): Promise<string> {
  const result = await sql<{ 'QUERY PLAN': string }>`explain (analyze, costs off, timing off) ${query}`.execute(db)
  const plan = result.rows.map(row => row['QUERY PLAN']).join('\n')
  t.comment(`${label}\n${plan}`)
  return plan
}

/** The largest `rows=` any node of the plan reports (EXPLAIN ANALYZE actual rows). */
function maxActualRows (plan: string): number {
  return Math.max(0, ...[...plan.matchAll(/actual rows=(\d+)/g)].map(match => Number(match[1])))
}

t.test('root pages use the indexes and read only what the page needs', async t => {
  const { db } = await createTestDatabase(t)
  const org = (await db.insertInto('organizations').values({ name: 'big' }).returning('id').executeTakeFirstOrThrow()).id
  await sql`insert into users (organization_id, user_name, display_name, attributes, created_at)
    select ${org}::uuid, 'user' || i, 'Person ' || i, jsonb_build_object('userName', 'user' || i, 'displayName', 'Person ' || i),
      timestamptz '2024-01-01' + i * interval '1 second'
    from generate_series(1, ${USERS}::int) as i`.execute(db)
  await sql`insert into groups (organization_id, display_name, attributes, created_at)
    select ${org}::uuid, 'Group ' || g, '{}'::jsonb, timestamptz '2024-01-01' + (g * 10) * interval '1 second' + interval '1 millisecond'
    from generate_series(1, ${GROUPS}::int) as g`.execute(db)
  await sql`analyze`.execute(db)
  const middle = await db.selectFrom('users').select(['id', sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('created')])
    .where('user_name', '=', 'user10000').executeTakeFirstOrThrow()

  const all = branchesFor(undefined)
  const after = await explain(db, rootKeysetQuery(db, org, all, BASE_URL, { after: { createdAt: middle.created, id: middle.id }, limit: 101 }), 'cursor page in the middle')
  t.match(after, /Index (Only )?Scan using users__organization_id_created_at_id__idx/)
  t.match(after, /Index (Only )?Scan using groups__organization_id_created_at_id__idx/)
  t.notMatch(after, /Seq Scan/)
  t.ok(maxActualRows(after) <= 202, `no node reads more than two pages of rows (max ${maxActualRows(after)})`)

  const first = await explain(db, rootPageQuery(db, org, { branches: all, baseUrl: BASE_URL, sort: undefined, descending: false, offset: 0, limit: 100 }), 'first index page')
  t.notMatch(first, /Seq Scan/)
  t.ok(maxActualRows(first) <= 200, `the first page reads about a page per type (max ${maxActualRows(first)})`)

  const lookup = await explain(db, rootPageQuery(db, org, { branches: branchesFor('displayName eq "group 77"'), baseUrl: BASE_URL, sort: undefined, descending: false, offset: 0, limit: 100 }), 'displayName eq at the root')
  t.match(lookup, /groups__organization_id_display_name__key/)
  t.match(lookup, /users__organization_id_lower_display_name__idx/)
  t.notMatch(lookup, /Seq Scan/)

  const byUserName = branchesFor('userName eq "USER77"')
  t.same(byUserName.map(branch => branch.type), ['User'], 'a userName lookup leaves groups out')
  const userLookup = await explain(db, rootPageQuery(db, org, { branches: byUserName, baseUrl: BASE_URL, sort: undefined, descending: false, offset: 0, limit: 100 }), 'userName eq at the root')
  t.match(userLookup, /Index Scan using users__organization_id_(user_name__key|lower_user_name_pattern__idx)/)
  t.notMatch(userLookup, /groups/)
})
