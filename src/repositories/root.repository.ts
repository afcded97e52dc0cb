/**
 * SQL for root-level queries over several resource types (RFC 7644 §3.4.2.1): one order over
 * users and groups together, true totals, and the rows of one page. Every function takes the
 * executor first and the organization id second; every branch is scoped by organization.
 *
 * Filters and sort keys go through the per-resource allow-lists only (compileUserFilter,
 * compileGroupFilter, userSortExpression, groupSortExpression): a page is ONE `union all`
 * query of the types' page keys, each branch cut to what the page can use, so no filter is
 * evaluated in memory and no table is read beyond the page.
 *
 * The global order is the typed endpoints' order extended over types: the sort key (default
 * `created_at`), then `id`, then the resource type; NULL sort keys (an attribute a type does
 * not have) last ascending, first descending. Ids are gen_random_uuid() values in both
 * tables, so (created_at, id) never ties across types in practice and the keyset of the
 * default order is the typed endpoints' (created_at, id) key (keyset.ts); the type only
 * makes the order total on paper.
 */
import { sql, type AliasedRawBuilder, type Expression, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ScimKeysetFetch, ScimKeysetKey } from '../scim/cursor.js'
import type { ScimFilter } from '../scim/filter/ast.js'
import { compileGroupFilter, compileUserFilter, groupSortExpression, userSortExpression } from './filter-sql.js'
import { GROUP_COLUMNS, toGroupRecord, type GroupRecord } from './group.mapper.js'
import { keysetCondition, keysetCreatedAt, keysetDirection, type KeysetTable } from './keyset.js'
import { USER_COLUMNS, toUserWithGroups, type UserWithGroups } from './user.mapper.js'

type Executor = Kysely<Database>

export type RootResourceType = 'User' | 'Group'

/** One resource type's part of a root query. */
export interface RootBranch {
  readonly type: RootResourceType
  /** A filter resolved for this type (root-query.ts); undefined: all of the type. */
  readonly filter: ScimFilter | undefined
}

export interface RootSort {
  /** Canonical sortBy path per type; a type without one sorts as NULL (all NULL: by id, type). */
  readonly paths: Partial<Record<RootResourceType, string>>
}

export interface RootPageQuery {
  readonly branches: readonly RootBranch[]
  /** The absolute SCIM base URL, for filters on `meta.location` and `$ref`. */
  readonly baseUrl: string
  /** undefined: the default order (created_at). */
  readonly sort: RootSort | undefined
  readonly descending: boolean
  readonly offset: number
  readonly limit: number
}

/** A row's place in a root listing: which resource it is. */
export interface RootKey {
  readonly type: RootResourceType
  readonly id: string
}

const TABLE: Readonly<Record<RootResourceType, KeysetTable>> = { User: 'users', Group: 'groups' }

/**
 * `select <columns> from <table> where organization and filter [and condition]`: one
 * branch, embeddable in SQL; its columns are aliased, so `order by` can use their names.
 */
function selectBranch (
  db: Executor, organizationId: string, branch: RootBranch, baseUrl: string,
  columns: (table: KeysetTable) => ReadonlyArray<AliasedRawBuilder<unknown, string>>, condition?: RawBuilder<boolean>
): Expression<unknown> {
  const { filter } = branch
  if (branch.type === 'User') {
    return db.selectFrom('users').select(columns('users')).where('users.organization_id', '=', organizationId)
      .$if(filter !== undefined, q => q.where(eb => compileUserFilter(eb, filter as ScimFilter, { baseUrl })))
      .$if(condition !== undefined, q => q.where(condition as RawBuilder<boolean>))
  }
  return db.selectFrom('groups').select(columns('groups')).where('groups.organization_id', '=', organizationId)
    .$if(filter !== undefined, q => q.where(eb => compileGroupFilter(eb, filter as ScimFilter, { baseUrl })))
    .$if(condition !== undefined, q => q.where(condition as RawBuilder<boolean>))
}

/** The columns every page branch has: which resource, and its place in the default order. */
function keyColumns (type: RootResourceType, table: KeysetTable): Array<AliasedRawBuilder<unknown, string>> {
  return [sql`${type}::text`.as('resource_type'), sql.ref(`${table}.id`).as('id'), sql.ref(`${table}.created_at`).as('created_at')]
}

function sortExpressionOf (type: RootResourceType, path: string): Expression<unknown> {
  return type === 'User' ? userSortExpression(path) : groupSortExpression(path)
}

/**
 * The sort key of a branch. A type without the attribute sorts as a NULL of the other type's
 * key type: `union all` needs one column type, and an untyped NULL in a derived table would
 * be text. The scalar subquery over `where false` is planned once and reads nothing.
 */
function sortKeyOf (type: RootResourceType, sort: RootSort | undefined): Expression<unknown> {
  if (sort === undefined) return sql.ref(`${TABLE[type]}.created_at`)
  const own = sort.paths[type]
  if (own !== undefined) return sortExpressionOf(type, own)
  const other = Object.entries(sort.paths)[0] as [RootResourceType, string] | undefined
  if (other === undefined) return sql`cast(null as text)`
  const [otherType, otherPath] = other
  return sql`(select ${sortExpressionOf(otherType, otherPath)} from ${sql.table(TABLE[otherType])} where false)`
}

const directionSql = (descending: boolean): RawBuilder<unknown> => descending ? sql`desc` : sql`asc`

/** `(A) union all (B) …`; a single branch is just itself. */
function unionAll (parts: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  return sql.join(parts.map(part => sql`(${part})`), sql` union all `)
}

/**
 * The true totalResults (RFC 7644 §3.4.2): the sum of one count per type, in one statement.
 * Each count is the typed endpoint's count (index-only when unfiltered).
 */
export async function countRootResources (db: Executor, organizationId: string, branches: readonly RootBranch[], baseUrl: string): Promise<number> {
  if (branches.length === 0) return 0
  const counts = branches.map(branch => selectBranch(db, organizationId, branch, baseUrl, () => [sql`count(*)`.as('count')]))
  const result = await sql<{ total: number }>`select (${sql.join(counts.map(count => sql`(${count})`), sql` + `)})::int as total`.execute(db)
  return Number(result.rows[0]?.total ?? 0)
}

/**
 * The keys of one index page in the global order. Each branch is cut to offset + limit rows
 * in that order first (so a branch never contributes more than the page can use), then the
 * union is ordered and cut again. Not executed here: the explain test runs it too.
 */
export function rootPageQuery (db: Executor, organizationId: string, query: RootPageQuery): RawBuilder<{ resource_type: RootResourceType, id: string }> {
  const direction = directionSql(query.descending)
  const parts = query.branches.map(branch => {
    const key = sortKeyOf(branch.type, query.sort)
    const select = selectBranch(db, organizationId, branch, query.baseUrl, table => [...keyColumns(branch.type, table), sql`${key}`.as('sort_key')])
    return sql`${select} order by sort_key ${direction}, id ${direction} limit ${query.offset + query.limit}`
  })
  return sql<{ resource_type: RootResourceType, id: string }>`
    select resource_type, id from (${unionAll(parts)}) as page
    order by sort_key ${direction}, id ${direction}, resource_type ${direction}
    offset ${query.offset} limit ${query.limit}`
}

export async function listRootPage (db: Executor, organizationId: string, query: RootPageQuery): Promise<RootKey[]> {
  if (query.branches.length === 0 || query.limit === 0) return []
  const result = await rootPageQuery(db, organizationId, query).execute(db)
  return result.rows.map(row => ({ type: row.resource_type, id: row.id }))
}

/**
 * Cursor pagination (RFC 9865) in the default order: the keys after or before a keyset key,
 * nearest first, each with its key. Each branch is an index range scan of its
 * (organization_id, created_at, id) index cut to `limit`, so page 1000 costs what page 1 costs.
 * Not executed here: the explain test runs it too.
 */
export function rootKeysetQuery (
  db: Executor, organizationId: string, branches: readonly RootBranch[], baseUrl: string, fetch: ScimKeysetFetch
): RawBuilder<{ resource_type: RootResourceType, id: string, cursor_created_at: string }> {
  const direction = directionSql(keysetDirection(fetch) === 'desc')
  const parts = branches.map(branch => {
    const table = TABLE[branch.type]
    const select = selectBranch(db, organizationId, branch, baseUrl,
      () => [...keyColumns(branch.type, table), keysetCreatedAt(table).as('cursor_created_at')], keysetCondition(table, fetch))
    return sql`${select} order by created_at ${direction}, id ${direction} limit ${fetch.limit}`
  })
  return sql<{ resource_type: RootResourceType, id: string, cursor_created_at: string }>`
    select resource_type, id, cursor_created_at from (${unionAll(parts)}) as page
    order by created_at ${direction}, id ${direction}, resource_type ${direction}
    limit ${fetch.limit}`
}

export async function listRootByKeyset (
  db: Executor, organizationId: string, branches: readonly RootBranch[], baseUrl: string, fetch: ScimKeysetFetch
): Promise<Array<{ record: RootKey, key: ScimKeysetKey }>> {
  if (branches.length === 0) return []
  const result = await rootKeysetQuery(db, organizationId, branches, baseUrl, fetch).execute(db)
  return result.rows.map(row => ({ record: { type: row.resource_type, id: row.id }, key: { createdAt: row.cursor_created_at, id: row.id } }))
}

/** The users of a page by id, with their groups when the response shows them, in one statement. */
export async function findUsersByIds (db: Executor, organizationId: string, ids: readonly string[]): Promise<Map<string, UserWithGroups>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('users').select(USER_COLUMNS)
    .where('users.organization_id', '=', organizationId)
    .where('users.id', '=', sql<string>`any(${[...ids]}::uuid[])`)
    .execute()
  return new Map(rows.map(row => [row.id, toUserWithGroups(row)]))
}

/** The groups of a page by id (members are read separately, within the page's member budget). */
export async function findGroupsByIds (db: Executor, organizationId: string, ids: readonly string[]): Promise<Map<string, GroupRecord>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('groups').select(GROUP_COLUMNS)
    .where('groups.organization_id', '=', organizationId)
    .where('groups.id', '=', sql<string>`any(${[...ids]}::uuid[])`)
    .execute()
  return new Map(rows.map(row => [row.id, toGroupRecord(row)]))
}
