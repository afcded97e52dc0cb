/**
 * Keyset paging on (created_at, id), the default list order of users and groups, for cursor
 * pagination (RFC 9865; src/scim/cursor.ts). The key carries created_at with microseconds as
 * UTC text: a JS Date keeps milliseconds only, and rows created in the same millisecond would
 * be skipped or repeated. Served by the (organization_id, created_at, id) indexes.
 */
import { sql, type RawBuilder } from 'kysely'
import type { ScimKeysetFetch, ScimKeysetKey } from '../scim/cursor.js'

export type KeysetTable = 'users' | 'groups'

/** Select this as `cursor_created_at`; with the row's id it is the row's ScimKeysetKey. */
export function keysetCreatedAt (table: KeysetTable): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(`${table}.created_at`)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
}

/** The row-value comparison for `after` / `before`; undefined for the first page. */
export function keysetCondition (table: KeysetTable, fetch: ScimKeysetFetch): RawBuilder<boolean> | undefined {
  const key: ScimKeysetKey | undefined = fetch.after ?? fetch.before
  if (key === undefined) return undefined
  const row = sql`(${sql.ref(`${table}.created_at`)}, ${sql.ref(`${table}.id`)})`
  const bound = sql`(cast(${key.createdAt} as timestamptz), cast(${key.id} as uuid))`
  return fetch.after !== undefined ? sql<boolean>`${row} > ${bound}` : sql<boolean>`${row} < ${bound}`
}

/** Nearest the key first: ascending after it (or from the start), descending before it. */
export function keysetDirection (fetch: ScimKeysetFetch): 'asc' | 'desc' {
  return fetch.before !== undefined ? 'desc' : 'asc'
}
