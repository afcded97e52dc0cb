/**
 * SQL for group memberships. A group can have millions of members, so nothing here loads the
 * member list to change it: every change is ONE set-based statement over `group_members`
 * whatever the number of ids (arrays are bound as one `uuid[]` parameter and unnested in SQL),
 * and reads are keyset pages on the primary key (group_id, user_id).
 *
 * Ids reaching these functions are well-formed UUIDs (the service drops or rejects others
 * first), so the `::uuid[]` casts cannot fail.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import type { EventActor } from './event.repository.js'
import { compiledOnce } from './compiled-once.js'
import { toGroupMemberRecord, type GroupMemberRecord } from './group.mapper.js'

type Executor = Kysely<Database>

/**
 * The ids among `ids` that are NOT customer users of the organization (unknown ids, group ids,
 * other organizations' users, administrators…), in input order, in one query. The product rule
 * (CLIENTS.md "The membership rule"); migration 0002's foreign key enforces the same under races.
 */
export async function findNonCustomerIds (db: Executor, organizationId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const result = await sql<{ id: string }>`
    select t.id::text as id
    from unnest(${[...ids]}::uuid[]) with ordinality as t(id, n)
    where not exists (
      select 1 from users u
      where u.organization_id = ${organizationId} and u.id = t.id and u.user_type = 'customer'
    )
    order by t.n`.execute(db)
  return result.rows.map(row => row.id)
}

/**
 * The ids a membership statement changed, as ONE array from Postgres (array_agg over its
 * RETURNING), so the change feed can record them without a row per member.
 */
async function changedIds (db: Executor, statement: RawBuilder<unknown>): Promise<string[]> {
  const result = await sql<{ ids: string[] | null }>`with changed as (${statement}) select array_agg(user_id)::text[] as ids from changed`.execute(db)
  return result.rows[0]?.ids ?? []
}

/** Adds members; existing ones are a silent no-op (CLIENTS.md). Returns the ids added. */
export async function addMembers (db: Executor, organizationId: string, groupId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  return await changedIds(db, sql`
    insert into group_members (organization_id, group_id, user_id)
    select ${organizationId}::uuid, ${groupId}::uuid, t.id from unnest(${[...ids]}::uuid[]) as t(id)
    on conflict (group_id, user_id) do nothing
    returning user_id`)
}

/** Removes exactly these members; non-members are ignored. Returns the ids removed. */
export async function removeMembers (db: Executor, groupId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  return await changedIds(db, sql`
    delete from group_members where group_id = ${groupId}::uuid and user_id = any(${[...ids]}::uuid[]) returning user_id`)
}

export async function removeAllMembers (db: Executor, groupId: string): Promise<string[]> {
  return await changedIds(db, sql`delete from group_members where group_id = ${groupId}::uuid returning user_id`)
}

/**
 * Sets the exact member list: deletes the members not in `ids`, inserts the missing ones. The
 * difference is computed by Postgres (anti-join on the array, ON CONFLICT for the present).
 */
export async function replaceMembers (
  db: Executor, organizationId: string, groupId: string, ids: readonly string[]
): Promise<{ added: string[], removed: string[] }> {
  const removed = await changedIds(db, sql`
    delete from group_members where group_id = ${groupId}::uuid and not (user_id = any(${[...ids]}::uuid[])) returning user_id`)
  return { added: await addMembers(db, organizationId, groupId, ids), removed }
}

/**
 * How many memberships the groups have together, counting at most `limit` (an index-only
 * read that stops there: deciding "more than the ceiling" on a group of a million costs what
 * the ceiling costs).
 */
export async function countMembersUpTo (db: Executor, groupIds: readonly string[], limit: number): Promise<number> {
  if (groupIds.length === 0) return 0
  const result = await sql<{ count: number }>`
    select count(*)::int as count from (
      select 1 from group_members where group_id = any(${[...groupIds]}::uuid[]) limit ${limit}
    ) as capped`.execute(db)
  return result.rows[0]?.count ?? 0
}

/**
 * One keyset page of members ordered by user id, after `afterUserId` (exclusive), joined with
 * users for `display` (displayName, else userName). Uses the primary key index, so page N
 * costs the same as page 1 on a group of a million.
 */
export async function listMembersPage (db: Executor, groupId: string, afterUserId: string | undefined, limit: number): Promise<GroupMemberRecord[]> {
  let query = db.selectFrom('group_members')
    .innerJoin('users', 'users.id', 'group_members.user_id')
    .select(['group_members.user_id', 'users.display_name', 'users.user_name'])
    .where('group_members.group_id', '=', groupId)
  if (afterUserId !== undefined) query = query.where('group_members.user_id', '>', afterUserId)
  const rows = await query.orderBy('group_members.user_id').limit(limit).execute()
  return rows.map(toGroupMemberRecord)
}

/**
 * The first `limitPerGroup` members (by user id) of each of several groups in ONE statement: a
 * LATERAL primary-key read per group, so a listing page of groups costs one query instead of
 * one per group. A group that fills its quota continues with listMembersPage.
 */
export async function listFirstMembersOfGroups (
  db: Executor, groupIds: readonly string[], limitPerGroup: number
): Promise<Map<string, GroupMemberRecord[]>> {
  const byGroup = new Map<string, GroupMemberRecord[]>(groupIds.map(id => [id, []]))
  if (groupIds.length === 0) return byGroup
  const result = await sql<{ group_id: string, user_id: string, display_name: string | null, user_name: string }>`
    select g.id as group_id, m.user_id, u.display_name, u.user_name
    from unnest(${[...groupIds]}::uuid[]) with ordinality as g(id, n)
    cross join lateral (
      select gm.user_id from group_members gm where gm.group_id = g.id order by gm.user_id limit ${limitPerGroup}
    ) as m
    join users u on u.id = m.user_id
    order by g.n, m.user_id`.execute(db)
  for (const row of result.rows) byGroup.get(row.group_id)?.push(toGroupMemberRecord(row))
  return byGroup
}

export interface MemberChangeOutcome {
  /** False: no such group in the organization (nothing was done). */
  readonly groupExists: boolean
  /** The group's version did not match `ifMatch` (nothing was done). */
  readonly versionMismatch: boolean
  /** Ids to add that are not customer users of the organization, in input order (nothing was done). */
  readonly refused: string[]
  readonly added: number
  readonly removed: number
  /** The group's version afterwards (bumped only if a row changed). */
  readonly version: number | undefined
}

/**
 * Adds and removes members of one group in ONE statement (scim_change_group_members_recorded,
 * migrations 0007, 0011 and 0012): under the group row's lock, If-Match, the membership
 * rule, the insert and delete, the version bump and the change feed's event. `add` and `remove` must be disjoint UUID lists.
 * `ifMatch` -1 never matches.
 */
export async function changeGroupMembers (
  db: Executor, organizationId: string, groupId: string, add: readonly string[], remove: readonly string[], ifMatch: number | undefined,
  actor: EventActor | undefined
): Promise<MemberChangeOutcome> {
  const result = await changeMembersQuery(db, {
    organizationId, groupId, add: [...add], remove: [...remove], ifMatch: ifMatch ?? null,
    tokenId: actor?.tokenId ?? null, tokenLabel: actor?.tokenLabel ?? null, requestId: actor?.requestId ?? null
  })
  const row = result.rows[0]
  if (row === undefined) throw new Error('scim_change_group_members returned no row')
  return {
    groupExists: row.group_exists,
    versionMismatch: row.version_mismatch,
    refused: row.refused_ids ?? [],
    added: row.added_count,
    removed: row.removed_count,
    version: row.group_version ?? undefined
  }
}

type ChangeMembersValues = {
  organizationId: string, groupId: string, add: string[], remove: string[], ifMatch: number | null,
  tokenId: string | null, tokenLabel: string | null, requestId: string | null
}

// Compiled once (compiled-once.ts): every membership PATCH of every client sends this text.
const changeMembersQuery = compiledOnce<ChangeMembersValues, {
  group_exists: boolean, version_mismatch: boolean, refused_ids: string[] | null, added_count: number, removed_count: number, group_version: number | null
}>((_db, param) => sql`select * from scim_change_group_members_recorded(${param('organizationId')}::uuid, ${param('groupId')}::uuid,
  ${param('add')}::uuid[], ${param('remove')}::uuid[], ${param('ifMatch')}::int, ${param('tokenId')}::uuid, ${param('tokenLabel')}::text,
  ${param('requestId')}::text)`)
