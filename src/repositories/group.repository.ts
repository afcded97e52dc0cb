/**
 * SQL for groups. Every function takes the executor (`db` or a transaction) first and the
 * organization id second: every query is scoped by organization, so another tenant's groups
 * simply do not exist. Members are in membership.repository.ts.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ScimKeysetFetch, ScimKeysetKey } from '../scim/cursor.js'
import type { ScimFilter } from '../scim/filter/ast.js'
import { compileGroupFilter, groupSortExpression } from './filter-sql.js'
import { compiledOnce } from './compiled-once.js'
import { compiledPerShape } from './compiled-per-shape.js'
import { pageShape } from './filter-shape.js'
import { GROUP_COLUMNS, toGroupRecord, type GroupRecord, type GroupRow, type GroupWrite } from './group.mapper.js'
import { keysetCondition, keysetCreatedAt, keysetDirection } from './keyset.js'
import { pageTotal, totalOfEmptyPage } from './page-total.js'

type Executor = Kysely<Database>

export interface GroupListQuery {
  /** A resolved filter (`parseResolvedFilter(GROUP_RESOURCE, text)`), compiled to SQL here. */
  readonly filter: ScimFilter | undefined
  /** The request's SCIM base URL, so `meta.location` and `members.$ref` can be filtered on. */
  readonly baseUrl: string
  /** A canonical sortBy path (`resolveSortBy`); undefined: creation order. */
  readonly sortBy: string | undefined
  readonly descending: boolean
  readonly offset: number
  readonly limit: number
}

function selectGroups (db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl: string) {
  const query = db.selectFrom('groups').where('groups.organization_id', '=', organizationId)
  return filter === undefined ? query : query.where(eb => compileGroupFilter(eb, filter, { baseUrl }))
}

/** The true totalResults of a listing (RFC 7644 §3.4.2): an index-only count when unfiltered. */
export async function countGroups (db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl: string): Promise<number> {
  const row = await countGroupsQuery(db, organizationId, filter, baseUrl).executeTakeFirstOrThrow()
  return row.count
}

function countGroupsQuery (db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl: string) {
  return selectGroups(db, organizationId, filter, baseUrl).select(sql<number>`count(*)::int`.as('count'))
}

/**
 * One page in a stable order (Okta and PingFederate page through everything): the sort key if
 * any, then created_at and id as tie-breakers, served by the (organization_id, created_at, id)
 * index when unsorted. Never touches group_members unless the filter names members.
 */
function groupPageQuery (db: Executor, organizationId: string, query: GroupListQuery) {
  const direction = query.descending ? 'desc' : 'asc'
  // Selected too, so that a query reading the page can order it the same way.
  const sortKey = query.sortBy === undefined ? sql<null>`null` : groupSortExpression(query.sortBy)
  let select = selectGroups(db, organizationId, query.filter, query.baseUrl).select(GROUP_COLUMNS).select(sql`${sortKey}`.as('sort_key'))
  // Postgres puts NULLs last ascending and first descending, as RFC 7644 §3.4.2.3 asks.
  if (query.sortBy !== undefined) select = select.orderBy(sortKey, direction)
  return select.orderBy('groups.created_at').orderBy('groups.id').offset(query.offset).limit(query.limit)
}

export async function listGroups (db: Executor, organizationId: string, query: GroupListQuery): Promise<GroupRecord[]> {
  const rows = await groupPageQuery(db, organizationId, query).execute()
  return rows.map(toGroupRecord)
}

/**
 * A page and the true total in one statement, hence one snapshot: the count is an
 * uncorrelated subquery, evaluated once (an InitPlan), not per row, and only when needed
 * (page-total.ts).
 */
export async function listGroupsWithTotal (
  db: Executor, organizationId: string, query: GroupListQuery
): Promise<{ totalResults: number, records: GroupRecord[] }> {
  const count = async (): Promise<number> => await countGroups(db, organizationId, query.filter, query.baseUrl)
  if (query.limit === 0) return { totalResults: await count(), records: [] }
  const rows = query.filter === undefined && query.sortBy === undefined
    ? (await unfilteredPageWithTotal[query.offset === 0 ? 'first' : 'later'](db, { organizationId, offset: query.offset, limit: query.limit })).rows
    : (await filteredPageWithTotal(db, { organizationId, query })).rows
  const first = rows[0]
  const totalResults = first !== undefined
    ? Number(first.total_results)
    : await totalOfEmptyPage(query, count)
  return { totalResults, records: rows.map(toGroupRecord) }
}

export function pageWithTotalQuery (db: Executor, organizationId: string, query: GroupListQuery, first: boolean) {
  const count = countGroupsQuery(db, organizationId, query.filter, query.baseUrl)
  return db.with('page', () => groupPageQuery(db, organizationId, query)).selectFrom('page').selectAll('page')
    .select(pageTotal(count, query, first).as('total_results'))
    // The page's order again: a CTE's order is not kept by the query reading it.
    .orderBy(sql.ref('page.sort_key'), query.descending ? 'desc' : 'asc').orderBy('page.created_at').orderBy('page.id')
}

/**
 * A filtered or sorted page (Entra's and Okta's `displayName eq` lookups), compiled once per
 * filter shape (compiled-per-shape.ts, filter-shape.ts): the organization, offset, limit and
 * the filter's string literals are its values.
 */
export const filteredPageWithTotal = compiledPerShape<{ organizationId: string, query: GroupListQuery }, PageWithTotalRow>(
  (db, { organizationId, query }) => pageWithTotalQuery(db, organizationId, query, query.offset === 0),
  ({ organizationId, query }) => pageShape(
    { organizationId, offset: query.offset, limit: query.limit }, query.filter, [query.sortBy ?? null, query.descending, query.baseUrl],
    (page, filter) => ({ organizationId: page.organizationId, query: { ...query, offset: page.offset, limit: page.limit, filter } }))
)

interface UnfilteredPageValues { organizationId: string, offset: number, limit: number }
type PageWithTotalRow = GroupRow & { sort_key: unknown, total_results: number }

/**
 * The unfiltered page in creation order (what Entra and PingFederate list with
 * `excludedAttributes=members`), compiled once per shape: building this tree per request was
 * about 6% of the service's CPU on that page.
 */
const unfilteredPageWithTotal = {
  first: unfilteredPage(true),
  later: unfilteredPage(false)
}

function unfilteredPage (first: boolean) {
  return compiledOnce<UnfilteredPageValues, PageWithTotalRow>((db, param) => pageWithTotalQuery(db, param('organizationId'), {
    filter: undefined, baseUrl: '', sortBy: undefined, descending: false, offset: param('offset'), limit: param('limit')
  }, first))
}

export async function insertGroup (db: Executor, organizationId: string, write: GroupWrite): Promise<GroupRecord> {
  const row = await db.insertInto('groups')
    .values({ organization_id: organizationId, ...write })
    .returning(GROUP_COLUMNS)
    .executeTakeFirstOrThrow()
  return toGroupRecord(row)
}

export async function findGroupById (db: Executor, organizationId: string, id: string): Promise<GroupRecord | undefined> {
  const row = await db.selectFrom('groups').select(GROUP_COLUMNS)
    .where('groups.organization_id', '=', organizationId).where('groups.id', '=', id)
    .executeTakeFirst()
  return row && toGroupRecord(row)
}

/**
 * `select … for update`: concurrent PATCHes of one group serialize on this row, so If-Match,
 * the member changes and the version bump of one request are never interleaved with another's
 * (no lost update, no version handed out twice).
 */
export async function lockGroupById (db: Executor, organizationId: string, id: string): Promise<GroupRecord | undefined> {
  const row = await db.selectFrom('groups').select(GROUP_COLUMNS)
    .where('groups.organization_id', '=', organizationId).where('groups.id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  return row && toGroupRecord(row)
}

/** Writes displayName/externalId/attributes (or only bumps, without `write`) and the version. */
export async function updateGroup (db: Executor, organizationId: string, id: string, write?: GroupWrite): Promise<GroupRecord> {
  const row = await db.updateTable('groups')
    .set({
      ...write,
      version: sql<number>`version + 1`,
      // clock_timestamp, not now(): two writes in one transaction still get distinct times.
      last_modified: sql<Date>`clock_timestamp()`
    })
    .where('organization_id', '=', organizationId).where('id', '=', id)
    .returning(GROUP_COLUMNS)
    .executeTakeFirstOrThrow()
  return toGroupRecord(row)
}

/** Memberships go with the group (ON DELETE CASCADE of group_members__group_id__fkey); users stay. */
export async function deleteGroupById (db: Executor, organizationId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('groups')
    .where('organization_id', '=', organizationId).where('id', '=', id)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

/**
 * Cursor pagination (RFC 9865) in the default order: the rows after or before a keyset key,
 * nearest first, each with its key. Page 1000 costs what page 1 costs (PingFederate lists
 * every group page by page).
 */
export async function listGroupsByKeyset (
  db: Executor, organizationId: string, filter: ScimFilter | undefined, baseUrl: string, fetch: ScimKeysetFetch
): Promise<Array<{ record: GroupRecord, key: ScimKeysetKey }>> {
  let select = selectGroups(db, organizationId, filter, baseUrl).select(GROUP_COLUMNS).select(keysetCreatedAt('groups').as('cursor_created_at'))
  const condition = keysetCondition('groups', fetch)
  if (condition !== undefined) select = select.where(condition)
  const direction = keysetDirection(fetch)
  const rows = await select.orderBy('groups.created_at', direction).orderBy('groups.id', direction).limit(fetch.limit)
    .execute()
  return rows.map(row => ({ record: toGroupRecord(row), key: { createdAt: row.cursor_created_at, id: row.id } }))
}
