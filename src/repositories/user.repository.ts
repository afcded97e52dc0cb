/**
 * SQL for users. Every function takes the executor (`db` or a transaction) first and the
 * organization id second: every query is scoped by organization, so another tenant's ids
 * simply do not exist.
 */
import { sql, type AliasedSelectQueryBuilder, type CompiledQuery, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { EventActor } from './event.repository.js'
import type { ScimKeysetFetch, ScimKeysetKey } from '../scim/cursor.js'
import type { ScimFilter } from '../scim/filter/ast.js'
import { USER_SCHEMA } from '../scim/schema/registry.js'
import { compiledOnce, type CompiledOnceQuery, type Param } from './compiled-once.js'
import { compiledPerShape } from './compiled-per-shape.js'
import { compileUserFilter, userSortExpression } from './filter-sql.js'
import { pageShape } from './filter-shape.js'
import { keysetCondition, keysetCreatedAt, keysetDirection } from './keyset.js'
import { pageTotal, totalOfEmptyPage } from './page-total.js'
import {
  USER_COLUMNS, toUserRecord, toUserWithGroups, type UserGroupJson, type UserRecord, type UserRow, type UserWithGroups, type UserWrite
} from './user.mapper.js'

type Executor = Kysely<Database>

/**
 * Inserts a user and records its creation in the change feed in ONE statement (the insert
 * as a CTE, scim_record_event of migration 0010 over its row), so a POST stays one round
 * trip; the event takes its feed position after the commit, so no writer waits for another.
 */
export async function insertUserRecorded (
  db: Executor, organizationId: string, write: UserWrite, passwordHash: string | null, event: { attributes: readonly string[], actor: EventActor | undefined }
): Promise<UserRecord> {
  const actor = event.actor ?? {}
  const result = await insertUserQuery(db, {
    ...write,
    organizationId, passwordHash, changed: [...event.attributes],
    tokenId: actor.tokenId ?? null, tokenLabel: actor.tokenLabel ?? null, requestId: actor.requestId ?? null
  })
  const row = result.rows[0]
  if (row === undefined) throw new Error('insert into users returned no row')
  return toUserRecord(row)
}

/** A written user's row; `groups` when the statement was asked for them. */
type UserRowWithGroups = UserRow & { groups?: UserGroupJson[] | null }

/** The UserWrite columns of an insert or update, each its call's parameter. */
function userWriteColumns (param: Param<UserWrite>) {
  return {
    user_name: param('user_name'),
    external_id: param('external_id'),
    display_name: param('display_name'),
    user_type: param('user_type'),
    active: param('active'),
    attributes: param('attributes')
  }
}

/** What an insert's or update's CTE hands on to the statement's result. */
const WRITTEN_USER_COLUMNS = ['id', 'organization_id', 'user_name', 'user_type', 'active', 'attributes', 'version', 'created_at', 'last_modified'] as const

type InsertUserValues = UserWrite & {
  organizationId: string, passwordHash: string | null, changed: string[], tokenId: string | null, tokenLabel: string | null, requestId: string | null
}

const insertUserQuery = compiledOnce<InsertUserValues, UserRow>((db, param) => db.with('inserted', qb => qb.insertInto('users')
  .values({
    organization_id: param('organizationId'),
    ...userWriteColumns(param),
    password_hash: param('passwordHash')
  })
  .returning(USER_COLUMNS))
  .selectFrom('inserted')
  .select(WRITTEN_USER_COLUMNS)
  .select(sql<string>`scim_record_event(inserted.organization_id, 'User', inserted.id, 'create', inserted.version, ${param('changed')}::text[],
    '{}'::uuid[], '{}'::uuid[], ${param('tokenId')}::uuid, ${param('tokenLabel')}::text, ${param('requestId')}::text)::text`.as('seq')))

/**
 * `select … for update`: the row stays locked until the transaction ends, so If-Match, the
 * membership check and the write see one version (no check-then-write race).
 */
export async function lockUserById (db: Executor, organizationId: string, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').select(USER_COLUMNS)
    .where('users.organization_id', '=', organizationId).where('users.id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row && toUserRecord(row)
}

/**
 * The user's write and its change event in ONE statement, applied only if the row is still at
 * `expectedVersion` (optimistic concurrency): undefined when another write got there first,
 * and then nothing was written. `passwordHash` undefined keeps the stored hash; with
 * `groupLimit`, RETURNING carries the user's first groups too (no extra round trip). The
 * update's row lock is taken before the event takes its number, so one user's events keep
 * their order (migration 0010).
 */
export async function updateUserIfVersion (
  db: Executor, organizationId: string, id: string, expectedVersion: number, write: UserWrite,
  options: { passwordHash?: string, groupLimit: number, event: { operation: 'replace' | 'patch', attributes: readonly string[], actor: EventActor | undefined } }
): Promise<UserWithGroups | undefined> {
  const actor = options.event.actor ?? {}
  const shape = (options.passwordHash !== undefined ? 1 : 0) + (options.groupLimit > 0 ? 2 : 0)
  const query = (updateUserQueries[shape] ??= updateUserQuery(options.passwordHash !== undefined, options.groupLimit > 0))
  const result = await query(db, {
    ...write,
    organizationId, id, expectedVersion, passwordHash: options.passwordHash ?? null, groupLimit: options.groupLimit,
    operation: options.event.operation, changed: [...options.event.attributes],
    tokenId: actor.tokenId ?? null, tokenLabel: actor.tokenLabel ?? null, requestId: actor.requestId ?? null
  })
  const row = result.rows[0]
  return row && toUserWithGroups(row)
}

type UpdateUserValues = UserWrite & {
  organizationId: string, id: string, expectedVersion: number, passwordHash: string | null, groupLimit: number,
  operation: string, changed: string[], tokenId: string | null, tokenLabel: string | null, requestId: string | null
}

/** updateUserIfVersion's four shapes (with or without a new password hash, with or without groups), each compiled once. */
const updateUserQueries: Array<CompiledOnceQuery<UpdateUserValues, UserRowWithGroups>> = []

function updateUserQuery (setsPassword: boolean, withGroups: boolean): CompiledOnceQuery<UpdateUserValues, UserRowWithGroups> {
  return compiledOnce<UpdateUserValues, UserRowWithGroups>((db, param) => db.with('updated', qb => qb.updateTable('users')
    .set({
      ...userWriteColumns(param),
      ...(setsPassword ? { password_hash: param('passwordHash') } : {}),
      version: sql<number>`version + 1`,
      last_modified: sql<Date>`clock_timestamp()`
    })
    .where('organization_id', '=', param('organizationId')).where('id', '=', param('id')).where('version', '=', param('expectedVersion'))
    .returning(USER_COLUMNS))
    .selectFrom('updated')
    .select(WRITTEN_USER_COLUMNS)
    .$if(withGroups, query => query.select(() => groupsOfUser(db, 'updated', param('groupLimit')).as('groups')))
    .select(sql<string>`scim_record_event(updated.organization_id, 'User', updated.id, ${param('operation')}, updated.version,
      ${param('changed')}::text[], '{}'::uuid[], '{}'::uuid[], ${param('tokenId')}::uuid, ${param('tokenLabel')}::text,
      ${param('requestId')}::text)::text`.as('seq')))
}

/**
 * A PATCH of plain singular attributes (scim/patch/singular-changes.ts) in ONE statement,
 * without reading the user first: the attributes are merged into the stored document (and
 * `active` and `displayName` into their columns), the version bumped, the event recorded with
 * the attributes whose stored value differed, at `ifMatch` when given. Undefined when no row
 * was written: no such user, or not at `ifMatch` (the caller then takes the general path,
 * which tells which). The row lock is taken by `old` (FOR UPDATE) before the update and the
 * event, so `previous` is the version the update replaces and events keep their order.
 */
export async function patchUserSingular (
  db: Executor, organizationId: string, id: string, ifMatch: number | undefined, changes: Readonly<Record<string, unknown>>,
  options: { groupLimit: number, actor: EventActor | undefined }
): Promise<UserWithGroups | undefined> {
  const actor = options.actor ?? {}
  const query = options.groupLimit > 0 ? (patchSingularQueries.withGroups ??= patchSingularQuery(true)) : (patchSingularQueries.alone ??= patchSingularQuery(false))
  const result = await query(db, {
    organizationId, id, ifMatch: ifMatch ?? null, groupLimit: options.groupLimit, changes: JSON.stringify(changes),
    active: typeof changes.active === 'boolean' ? changes.active : null,
    setsDisplayName: changes.displayName !== undefined, displayName: typeof changes.displayName === 'string' ? changes.displayName : null,
    tokenId: actor.tokenId ?? null, tokenLabel: actor.tokenLabel ?? null, requestId: actor.requestId ?? null
  })
  const row = result.rows[0]
  return row && toUserWithGroups(row)
}

type PatchSingularValues = {
  organizationId: string, id: string, ifMatch: number | null, groupLimit: number, changes: string,
  active: boolean | null, setsDisplayName: boolean, displayName: string | null,
  tokenId: string | null, tokenLabel: string | null, requestId: string | null
}

const patchSingularQueries: { alone?: CompiledOnceQuery<PatchSingularValues, UserRowWithGroups>, withGroups?: CompiledOnceQuery<PatchSingularValues, UserRowWithGroups> } = {}

function patchSingularQuery (withGroups: boolean): CompiledOnceQuery<PatchSingularValues, UserRowWithGroups> {
  return compiledOnce<PatchSingularValues, UserRowWithGroups>((db, param) => db
    .with('old', qb => qb.selectFrom('users').select(['users.id', 'users.attributes'])
      .where('users.organization_id', '=', param('organizationId')).where('users.id', '=', param('id'))
      .where(sql<boolean>`(${param('ifMatch')}::int is null or users.version = ${param('ifMatch')}::int)`)
      .forUpdate())
    .with('updated', qb => qb.updateTable('users').from('old')
      .set({
        active: sql<boolean>`coalesce(${param('active')}::boolean, users.active)`,
        display_name: sql<string>`case when ${param('setsDisplayName')}::boolean then ${param('displayName')}::text else users.display_name end`,
        attributes: sql<string>`users.attributes || ${param('changes')}::jsonb`,
        version: sql<number>`users.version + 1`,
        last_modified: sql<Date>`clock_timestamp()`
      })
      .whereRef('users.id', '=', 'old.id').where('users.organization_id', '=', param('organizationId'))
      .returning([...USER_COLUMNS, 'old.attributes as previous']))
    .selectFrom('updated')
    .select(WRITTEN_USER_COLUMNS)
    .$if(withGroups, query => query.select(() => groupsOfUser(db, 'updated', param('groupLimit')).as('groups')))
    .select(sql<string>`scim_record_event(updated.organization_id, 'User', updated.id, 'patch', updated.version,
      array(select c.key from jsonb_each(${param('changes')}::jsonb) as c where c.value is distinct from updated.previous -> c.key order by c.key collate "C"),
      '{}'::uuid[], '{}'::uuid[], ${param('tokenId')}::uuid, ${param('tokenLabel')}::text, ${param('requestId')}::text)::text`.as('seq')))
}

/** Memberships go with the user (ON DELETE CASCADE of group_members__user_id__fkey). */
export async function deleteUserById (db: Executor, organizationId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users')
    .where('organization_id', '=', organizationId).where('id', '=', id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function countUserMemberships (db: Executor, organizationId: string, userId: string): Promise<number> {
  const row = await db.selectFrom('group_members')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('organization_id', '=', organizationId).where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return row.count
}

export interface UserListQuery {
  /** A resolved filter (resolveFilter(USER_RESOURCE, …)); undefined lists everyone. */
  readonly filter?: ScimFilter
  /** A canonical sortable path (resolveSortBy); undefined keeps creation order. */
  readonly sortBy?: string
  readonly sortOrder: 'ascending' | 'descending'
  /** 0-based offset (startIndex - 1). */
  readonly offset: number
  readonly limit: number
  /** Load each user's first groups, at most this many (0: skipped, the response will not show them). */
  readonly groupLimit: number
  /** The absolute SCIM base URL, for filters on `meta.location` and `groups.$ref`. */
  readonly baseUrl?: string
}

export interface UserPage {
  readonly totalResults: number
  readonly users: UserWithGroups[]
}

function selectUsers (db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl?: string) {
  const query = db.selectFrom('users').where('users.organization_id', '=', organizationId)
  return filter === undefined ? query : query.where(eb => compileUserFilter(eb, filter, { baseUrl }))
}

/**
 * The direct groups of the user in row `alias` (a fixed name, never input) as a jsonb array,
 * inside the user query: a page of users and their groups is one statement and one round
 * trip, not one query per user. At most `limit` groups, by group id (the order of
 * listUserGroupsPage, which continues after the last one when a user has more): a statement's
 * result stays bounded however many groups a user is in.
 */
export function groupsOfUser (db: Executor, alias: 'users' | 'page' | 'updated', limit: number) {
  const user = sql.ref(`${alias}.id`)
  const organization = sql.ref(`${alias}.organization_id`)
  const first = db.selectFrom('group_members')
    .innerJoin('groups', join => join
      .onRef('groups.id', '=', 'group_members.group_id')
      .onRef('groups.organization_id', '=', 'group_members.organization_id'))
    .where(sql<boolean>`group_members.user_id = ${user} and group_members.organization_id = ${organization}`)
    .select(['groups.id', 'groups.display_name'])
    .orderBy('group_members.group_id').limit(limit)
  return db.selectFrom(first.as('first'))
    .select(sql<UserGroupJson[]>`coalesce(jsonb_agg(jsonb_build_object('value', first.id, 'display', first.display_name) order by first.id), '[]'::jsonb)`.as('groups'))
}

/**
 * One keyset page of a user's groups by group id, after `afterGroupId` (exclusive): a range
 * of the (user_id, group_id) index, so page N costs what page 1 costs.
 */
export async function listUserGroupsPage (
  db: Executor, organizationId: string, userId: string, afterGroupId: string, limit: number
): Promise<UserGroupJson[]> {
  const rows = await db.selectFrom('group_members')
    .innerJoin('groups', join => join
      .onRef('groups.id', '=', 'group_members.group_id')
      .onRef('groups.organization_id', '=', 'group_members.organization_id'))
    .select(['groups.id', 'groups.display_name'])
    .where('group_members.user_id', '=', userId).where('group_members.organization_id', '=', organizationId)
    .where('group_members.group_id', '>', afterGroupId)
    .orderBy('group_members.group_id').limit(limit)
    .execute()
  return rows.map(row => ({ value: row.id, display: row.display_name }))
}

/**
 * The first `limitPerUser` groups (by group id) of each of several users in ONE statement: a
 * LATERAL index read per user, so a streamed page of users costs one query per chunk of users
 * rather than one per user. A user that fills its quota continues with listUserGroupsPage.
 */
export async function listFirstGroupsOfUsers (
  db: Executor, organizationId: string, userIds: readonly string[], limitPerUser: number
): Promise<Map<string, UserGroupJson[]>> {
  const byUser = new Map<string, UserGroupJson[]>(userIds.map(id => [id, []]))
  if (userIds.length === 0) return byUser
  const result = await sql<{ user_id: string, group_id: string, display_name: string }>`
    select u.id as user_id, m.group_id, g.display_name
    from unnest(${[...userIds]}::uuid[]) with ordinality as u(id, n)
    cross join lateral (
      select gm.group_id from group_members gm
      where gm.user_id = u.id and gm.organization_id = ${organizationId}
      order by gm.group_id limit ${limitPerUser}
    ) as m
    join groups g on g.id = m.group_id
    order by u.n, m.group_id`.execute(db)
  for (const row of result.rows) byUser.get(row.user_id)?.push({ value: row.group_id, display: row.display_name })
  return byUser
}

/** How many memberships the users have together, counting at most `limit`. */
export async function countUserMembershipsUpTo (db: Executor, organizationId: string, userIds: readonly string[], limit: number): Promise<number> {
  if (userIds.length === 0) return 0
  const result = await sql<{ count: number }>`
    select count(*)::int as count from (
      select 1 from group_members where user_id = any(${[...userIds]}::uuid[]) and organization_id = ${organizationId} limit ${limit}
    ) as capped`.execute(db)
  return result.rows[0]?.count ?? 0
}

/** One user, with its first `groupLimit` groups (0: none), in one statement. */
export async function findUserWithGroups (db: Executor, organizationId: string, id: string, groupLimit: number): Promise<UserWithGroups | undefined> {
  const values = { organizationId, id, groupLimit }
  const result = groupLimit > 0 ? await findUserQuery.withGroups(db, values) : await findUserQuery.alone(db, values)
  const row = result.rows[0]
  return row && toUserWithGroups(row)
}

type FindUserValues = { organizationId: string, id: string, groupLimit: number }

// The two shapes of findUserWithGroups, compiled once (compiled-once.ts): every read and write of one user goes through them.
const findUserQuery = {
  alone: compiledOnce<FindUserValues, UserRow>((db, param) => db.selectFrom('users').select(USER_COLUMNS)
    .where('users.organization_id', '=', param('organizationId')).where('users.id', '=', param('id'))),
  withGroups: compiledOnce<FindUserValues, UserRow & { groups: UserGroupJson[] | null }>((db, param) => db.selectFrom('users').select(USER_COLUMNS)
    .select(() => groupsOfUser(db, 'users', param('groupLimit')).as('groups'))
    .where('users.organization_id', '=', param('organizationId')).where('users.id', '=', param('id')))
}

/** A count statement, run alone or as a scalar subquery of a page's statement. */
export interface UserCountQuery {
  as<A extends string> (alias: A): AliasedSelectQueryBuilder<{ count: number }, A>
  executeTakeFirstOrThrow (): Promise<{ count: number }>
  compile (): CompiledQuery<{ count: number }>
}

/**
 * The true totalResults of a filter (RFC 7644 §3.4.2: not just the page). Not executed:
 * bench/ explains it. A filter that is only `groups.value eq "<id>"` (a group's members, as
 * consoles page and count them) is counted from the membership table's primary key instead.
 */
export function userCountQuery (db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl?: string): UserCountQuery {
  const groupId = membersOnlyFilterGroup(filter)
  if (groupId !== undefined) return groupMemberCountQuery(db, organizationId, groupId)
  return selectUsers(db, organizationId, filter, baseUrl).select(sql<number>`count(*)::int`.as('count'))
}

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The group id of a resolved filter that is exactly `groups.value eq "<uuid>"`. */
function membersOnlyFilterGroup (filter: ScimFilter | undefined): string | undefined {
  if (filter?.kind !== 'compare' || filter.op !== 'eq' || typeof filter.value !== 'string') return undefined
  const { path } = filter
  if (path.schema !== USER_SCHEMA || path.attribute !== 'groups' || path.subAttribute !== 'value') return undefined
  const id = filter.value.toLowerCase()
  return UUID_LOWER.test(id) ? id : undefined
}

/**
 * How many users are members of a group, from one range of the (group_id, user_id) primary
 * key rather than a semi-join of every user of the organization: the same number, because
 * each membership row references a user of the group's organization (foreign keys). The
 * group must be this organization's (checked once, uncorrelated): another tenant's group
 * counts 0, as the users filter finds nobody. Measured on a 1,000,000-member group: 60-80 ms
 * against 700-1200 ms for the join (README, "Admin console").
 */
function groupMemberCountQuery (db: Executor, organizationId: string, groupId: string): UserCountQuery {
  return db.selectFrom('group_members').select(sql<number>`count(*)::int`.as('count'))
    .where('group_members.group_id', '=', groupId)
    .where(eb => eb.exists(eb.selectFrom('groups').select(sql<number>`1`.as('one'))
      .where('groups.id', '=', groupId).where('groups.organization_id', '=', organizationId)))
}

/**
 * A page in a stable order, so that Okta's startIndex=1,101,201… imports see every user once:
 * the sort key (default created_at), then id as the tie-breaker. The page is cut first (a
 * CTE), so `groups` is computed for its rows only (a subquery in the same select list would
 * run for every skipped row of the offset too). Page and total come from one statement and
 * one snapshot, the count only when needed (page-total.ts). Not executed: bench/ explains it.
 */
export function userListQuery (db: Executor, organizationId: string, query: UserListQuery) {
  const direction = query.sortOrder === 'descending' ? 'desc' : 'asc'
  const sortKey = query.sortBy === undefined ? sql.ref('users.created_at') : userSortExpression(query.sortBy)
  const page = selectUsers(db, organizationId, query.filter, query.baseUrl).select(USER_COLUMNS)
    .select(sql`${sortKey}`.as('sort_key'))
    .orderBy(sortKey, direction).orderBy('users.id', direction)
    .offset(query.offset).limit(query.limit)
  return db.with('page', () => page).selectFrom('page').selectAll('page')
    .select(pageTotal(userCountQuery(db, organizationId, query.filter, query.baseUrl), query).as('total_results'))
    .$if(query.groupLimit > 0, q => q.select(() => groupsOfUser(db, 'page', query.groupLimit).as('groups')))
    // The same order again: a CTE's order is not kept by the query reading it.
    .orderBy(sql.ref('page.sort_key'), direction).orderBy('page.id', direction)
}

export async function listUsers (db: Executor, organizationId: string, query: UserListQuery): Promise<UserPage> {
  const rows = query.limit === 0 ? [] : (await userListStatement(db, { organizationId, query })).rows
  const first = rows[0]
  const totalResults = first !== undefined
    ? Number(first.total_results)
    : await totalOfEmptyPage(query, async () => (await userCountQuery(db, organizationId, query.filter, query.baseUrl).executeTakeFirstOrThrow()).count)
  return { totalResults, users: rows.map(toUserWithGroups) }
}

interface UserListRequest { readonly organizationId: string, readonly query: UserListQuery }
type UserListRow = Awaited<ReturnType<ReturnType<typeof userListQuery>['execute']>>[number]

/**
 * userListQuery compiled once per shape (compiled-per-shape.ts): a lookup by userName, email
 * or externalId has the same text for every value. The values: the organization, the
 * limit, the offset and the group limit (these two only when not 0: at 0 the text differs)
 * and the filter's string literals. The key: everything else the text depends on (sort,
 * whether the page is the first, whether groups are read, the base URL, the filter's shape).
 */
export const userListStatement = compiledPerShape<UserListRequest, UserListRow>(
  (db, { organizationId, query }) => userListQuery(db, organizationId, query),
  ({ organizationId, query }) => pageShape(
    { organizationId, offset: query.offset, limit: query.limit, groupLimit: query.groupLimit }, query.filter,
    [query.sortBy ?? null, query.sortOrder, query.baseUrl ?? null],
    (page, filter) => ({
      organizationId: page.organizationId,
      query: { ...query, offset: page.offset, limit: page.limit, groupLimit: page.groupLimit ?? 0, filter }
    }))
)

/**
 * Cursor pagination (RFC 9865) in the default order: the users after or before a keyset key,
 * nearest first, each with its key, and the total from the same statement (as listUsers).
 * Page 1000 costs what page 1 costs: an index range scan, no offset.
 */
export async function listUsersByKeyset (
  db: Executor, organizationId: string, query: { filter?: ScimFilter, baseUrl?: string, groupLimit: number, fetch: ScimKeysetFetch }
): Promise<{ totalResults: number, users: Array<{ record: UserWithGroups, key: ScimKeysetKey }> }> {
  const { fetch } = query
  const direction = keysetDirection(fetch)
  const condition = keysetCondition('users', fetch)
  const rows = await selectUsers(db, organizationId, query.filter, query.baseUrl).select(USER_COLUMNS)
    .select(keysetCreatedAt('users').as('cursor_created_at'))
    .select(() => userCountQuery(db, organizationId, query.filter, query.baseUrl).as('total_results'))
    .$if(query.groupLimit > 0, q => q.select(() => groupsOfUser(db, 'users', query.groupLimit).as('groups')))
    .$if(condition !== undefined, q => q.where(condition as NonNullable<typeof condition>))
    .orderBy('users.created_at', direction).orderBy('users.id', direction)
    .limit(fetch.limit)
    .execute()
  const first = rows[0]
  const totalResults = first !== undefined
    ? Number(first.total_results)
    : (await userCountQuery(db, organizationId, query.filter, query.baseUrl).executeTakeFirstOrThrow()).count
  return { totalResults, users: rows.map(row => ({ record: toUserWithGroups(row), key: { createdAt: row.cursor_created_at, id: row.id } })) }
}
