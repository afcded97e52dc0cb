import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { CompiledQuery, sql } from 'kysely'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { listUsers, lockUserById, updateUserIfVersion, userListQuery, type UserListQuery } from '../../src/repositories/user.repository.js'
import { parseResolvedFilter } from '../../src/scim/filter/resolve.js'
import { USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { toUserWrite } from '../../src/repositories/user.mapper.js'
import { createServices } from '../../src/services/services.js'
import { createTestDatabase, usingEmbedded } from '../helpers/database.js'

/**
 * Counts executed statements (round trips). transformResult runs once per executed query;
 * transformQuery would also see subqueries built from the same instance.
 */
class QueryRecorder implements KyselyPlugin {
  readonly queries: string[] = []
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    return args.node
  }

  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.queries.push(`${args.result.rows.length} rows`)
    return args.result
  }
}


/** A change event with nothing but its kind (these tests are about the user row). */
const NO_EVENT_DETAIL = { operation: 'patch', attributes: [], actor: undefined } as const

t.test('users repository and service on a real database', async t => {
  const handle = await createTestDatabase(t)
  const recorder = new QueryRecorder()
  const db = handle.db.withPlugin(recorder)
  const services = createServices(db, loadConfig({}))
  const { organization } = await services.tokens.create('acme')
  const scope = { organizationId: organization.id, baseUrl: 'https://scim.example/scim/v2' }
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await services.users.create(scope, { userName: `u${i}@example.com` })).id)
  const group = await db.insertInto('groups').values({ organization_id: organization.id, display_name: 'G', attributes: '{}' }).returning('id').executeTakeFirstOrThrow()
  for (const id of ids) await db.insertInto('group_members').values({ organization_id: organization.id, group_id: group.id, user_id: id }).execute()

  t.test('a page of users with their groups and the total is one statement, not one per user', async t => {
    recorder.queries.length = 0
    const { body: page } = await services.users.list(scope, { count: '5' })
    t.equal(page.totalResults, 5)
    t.equal(page.Resources.length, 5)
    for (const resource of page.Resources) t.match(resource, { groups: [{ value: group.id, display: 'G', $ref: `https://scim.example/scim/v2/Groups/${group.id}`, type: 'direct' }] })
    t.same(recorder.queries, ['5 rows'])
  })

  t.test('GET by id is one statement; an empty page costs one more (the total)', async t => {
    recorder.queries.length = 0
    await services.users.get(scope, ids[0] as string)
    t.equal(recorder.queries.length, 1)
    recorder.queries.length = 0
    const { body: empty } = await services.users.list(scope, { startIndex: '50' })
    t.equal(empty.totalResults, 5)
    t.equal(recorder.queries.length, 2)
  })

  t.test('the page is cut before groups are computed (a CTE), ordered again outside', async t => {
    const compiled = userListQuery(db, organization.id, { sortOrder: 'ascending', offset: 2, limit: 2, groupLimit: 101 }).compile()
    t.match(compiled.sql, /^with "page" as \(select .* limit \$\d+ offset \$\d+\) select/)
    t.match(compiled.sql, /group_members\.user_id = "page"\."id"/)
    t.match(compiled.sql, /order by "page"\."sort_key" asc, "page"\."id" asc$/)
  })

  // Postgres' own account of what ran: EXPLAIN ANALYZE marks a plan node it never entered.
  const countRuns = async (query: UserListQuery): Promise<boolean> => {
    const compiled = userListQuery(db, organization.id, query).compile()
    const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain (analyze, costs off, timing off) ${compiled.sql}`, [...compiled.parameters]))
    const lines = plan.rows.map(row => row['QUERY PLAN'])
    // The count over users is the only scan of "users" outside the CTE.
    const scans = lines.filter(line => /Scan .*on users/.test(line))
    t.equal(scans.length, 2, 'two scans of users in the plan: the page and the count')
    return !(scans[1] ?? '').includes('never executed')
  }
  const byName = parseResolvedFilter(USER_RESOURCE, 'userName eq "u1@example.com"')
  t.test('a first page shorter than asked for is the whole result: its length is the total, the count never runs', async t => {
    t.equal(await countRuns({ filter: byName, sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 0 }), false, 'a userName lookup')
    t.equal(await countRuns({ sortOrder: 'ascending', offset: 0, limit: 3, groupLimit: 0 }), true, 'a full first page: more may follow, so count')
    t.equal(await countRuns({ filter: byName, sortOrder: 'ascending', offset: 1, limit: 100, groupLimit: 0 }), true, 'a later page: the rows before it are not in it, so count')
    const lookup = await listUsers(db, organization.id, { filter: byName, sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 0 })
    t.equal(lookup.totalResults, 1)
    const full = await listUsers(db, organization.id, { sortOrder: 'ascending', offset: 0, limit: 3, groupLimit: 0 })
    t.same([full.totalResults, full.users.length], [5, 3])
    const none = await listUsers(db, organization.id, { filter: parseResolvedFilter(USER_RESOURCE, 'userName eq "nobody"'), sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 0 })
    t.same([none.totalResults, none.users.length], [0, 0], 'nothing on the first page: nothing at all')
  })

  t.test('updateUserIfVersion bumps the version and keeps the password hash unless given; a stale version writes nothing', async t => {
    const before = await db.selectFrom('users').select(['version', 'password_hash']).where('id', '=', ids[1] as string).executeTakeFirstOrThrow()
    const write = toUserWrite({ userName: 'u1@example.com', userType: 'customer', active: false })
    const updated = await updateUserIfVersion(db, organization.id, ids[1] as string, before.version, write, { groupLimit: 101, event: NO_EVENT_DETAIL })
    if (updated === undefined) throw new Error('the current version was refused')
    const { record, groups } = updated
    t.same(groups.map(g => g.groupId), [group.id], 'groups come back with the update')
    t.equal(record.version, before.version + 1)
    t.equal(record.active, false)
    const after = await db.selectFrom('users').select('password_hash').where('id', '=', ids[1] as string).executeTakeFirstOrThrow()
    t.equal(after.password_hash, before.password_hash)
    t.equal(await updateUserIfVersion(db, organization.id, ids[1] as string, before.version, write, { groupLimit: 0, event: NO_EVENT_DETAIL }), undefined)
    const again = await db.selectFrom('users').select('version').where('id', '=', ids[1] as string).executeTakeFirstOrThrow()
    t.equal(again.version, record.version, 'the stale write changed nothing')
  })

  t.test('lockUserById is scoped by organization', async t => {
    const other = await services.tokens.create('globex')
    t.equal(await lockUserById(db, other.organization.id, ids[0] as string), undefined)
    t.equal((await lockUserById(db, organization.id, ids[0] as string))?.id, ids[0])
  })

  t.test('lockUserById holds the row: a second writer waits and then sees the first one\'s version', { skip: usingEmbedded() && 'PGlite has one connection' }, async t => {
    const id = ids[2] as string
    let releaseFirst: () => void = () => {}
    const firstHolds = new Promise<void>(resolve => { releaseFirst = resolve })
    let firstLocked: () => void = () => {}
    const locked = new Promise<void>(resolve => { firstLocked = resolve })
    const first = db.transaction().execute(async trx => {
      const row = await lockUserById(trx, organization.id, id)
      firstLocked()
      await firstHolds
      const updated = await updateUserIfVersion(trx, organization.id, id, row?.version ?? 0, toUserWrite({ ...row?.attributes, title: 'first' }), { groupLimit: 0, event: NO_EVENT_DETAIL })
      if (updated === undefined) throw new Error('the locked version was refused')
      return updated.record
    })
    await locked
    const second = db.transaction().execute(async trx => (await lockUserById(trx, organization.id, id))?.version)
    // Wait until Postgres reports the second transaction blocked on the row lock.
    for (let waiting = 0; waiting === 0;) {
      const row = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(handle.db)
      waiting = row.rows[0]?.n ?? 0
    }
    releaseFirst()
    const written = await first
    t.equal(await second, written.version, 'the waiting writer read the committed version, not the one it started with')
  })
})
