/**
 * Cursor pagination (RFC 9865). A cursor is opaque to clients: base64url of a small JSON
 * document, a dot, and a checksum, so only RFC 3986 unreserved characters appear (§2).
 *
 * - It is bound to its query: a hash of resource type, organization, filter, sortBy and
 *   sortOrder. Replayed on any other query it is `invalidCursor`, since RFC 9865 §2 requires
 *   every parameter but `cursor` (and `count`) to stay the same.
 * - It expires after CURSOR_TIMEOUT_SECONDS (advertised as `cursorTimeout`): `expiredCursor`.
 * - The default order (created_at, id) is paged by keyset: the cursor holds the key of the
 *   page's last (or first) row, so page 1000 costs what page 1 costs (PingFederate lists every
 *   group page by page, CLIENTS.md). An explicit sortBy is paged by offset.
 * - Nothing is stored on the server (RFC 9865 §6, availability): a cursor costs no memory.
 *
 * The checksum detects corrupted or edited cursors; it is not a secret signature, and needs
 * none: a forged cursor can only name a position in a query the same caller may run anyway,
 * and every page is still scoped by the caller's organization.
 */
import { createHash } from 'node:crypto'
import { ScimError } from './errors.js'
import type { ScimListParams } from './list-params.js'

/** How long a cursor stays valid; advertised as `pagination.cursorTimeout`. */
export const CURSOR_TIMEOUT_SECONDS = 3600

/** A row's place in the default order: created_at with microseconds (UTC ISO text), then id. */
export interface ScimKeysetKey {
  readonly createdAt: string
  readonly id: string
}

export type ScimCursorPosition =
  /** The first page (also what an empty `cursor` asks for). */
  | { readonly kind: 'start' }
  /** Rows after this key, in list order (a nextCursor). */
  | { readonly kind: 'after', readonly key: ScimKeysetKey }
  /** The rows just before this key (a previousCursor). */
  | { readonly kind: 'before', readonly key: ScimKeysetKey }
  /** Explicit sortBy: rows from this 0-based offset. */
  | { readonly kind: 'offset', readonly offset: number }

/** What a cursor is bound to. */
export interface ScimCursorQuery {
  readonly resourceType: string
  readonly organizationId: string
  readonly filter: string | undefined
  readonly sortBy: string | undefined
  readonly sortOrder: string
}

const VERSION = 1
const CHECKSUM_LENGTH = 16
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

/** A timestamp of the cursor's form that names a real instant (not 2026-02-31). */
function isRealTimestamp (text: string): boolean {
  if (!TIMESTAMP.test(text)) return false
  const parsed = new Date(text)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 19) === text.slice(0, 19)
}

function digest (text: string): string {
  return createHash('sha256').update(text).digest('base64url')
}

export function cursorQueryHash (query: ScimCursorQuery): string {
  const filter = query.filter?.trim()
  return digest(JSON.stringify(['scim-cursor-query', query.resourceType, query.organizationId, filter ?? null, query.sortBy ?? null, query.sortOrder])).slice(0, 22)
}

function compact (position: ScimCursorPosition): unknown[] {
  switch (position.kind) {
    case 'start': return ['s']
    case 'after': return ['a', position.key.createdAt, position.key.id]
    case 'before': return ['b', position.key.createdAt, position.key.id]
    case 'offset': return ['o', position.offset]
  }
}

function expand (raw: unknown): ScimCursorPosition | undefined {
  if (!Array.isArray(raw)) return undefined
  const [kind, a, b] = raw
  if (kind === 's' && raw.length === 1) return { kind: 'start' }
  if (kind === 'o' && raw.length === 2 && Number.isSafeInteger(a) && (a as number) >= 0) return { kind: 'offset', offset: a as number }
  if ((kind === 'a' || kind === 'b') && raw.length === 3 && typeof a === 'string' && isRealTimestamp(a) && typeof b === 'string' && UUID.test(b)) {
    return { kind: kind === 'a' ? 'after' : 'before', key: { createdAt: a, id: b } }
  }
  return undefined
}

/** `nowSeconds`: Unix time, passed in so expiry is testable. */
export function encodeCursor (position: ScimCursorPosition, query: ScimCursorQuery, nowSeconds: number): string {
  const body = Buffer.from(JSON.stringify({ v: VERSION, q: cursorQueryHash(query), e: nowSeconds + CURSOR_TIMEOUT_SECONDS, p: compact(position) })).toString('base64url')
  return `${body}.${digest(body).slice(0, CHECKSUM_LENGTH)}`
}

const INVALID_DETAIL = 'The cursor is not valid for this query. Send an empty cursor for the first page, then nextCursor or previousCursor values from this query\'s responses, with the other parameters unchanged (RFC 9865 §2).'

/**
 * The position a `cursor` parameter asks for: an empty one is the first page. Anything not
 * issued by us for this very query is 400 invalidCursor; an expired one is 400 expiredCursor
 * (RFC 9865 §2.1).
 */
export function decodeCursor (text: string, query: ScimCursorQuery, nowSeconds: number): ScimCursorPosition {
  const trimmed = text.trim()
  if (trimmed === '') return { kind: 'start' }
  const [body, checksum, ...rest] = trimmed.split('.')
  if (body === undefined || checksum === undefined || rest.length > 0 || digest(body).slice(0, CHECKSUM_LENGTH) !== checksum) {
    throw ScimError.invalidCursor(INVALID_DETAIL)
  }
  let payload: unknown
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'))
  } catch {
    throw ScimError.invalidCursor(INVALID_DETAIL)
  }
  const { v, q, e, p } = (payload ?? {}) as Record<string, unknown>
  const position = expand(p)
  if (v !== VERSION || q !== cursorQueryHash(query) || typeof e !== 'number' || position === undefined) {
    throw ScimError.invalidCursor(INVALID_DETAIL)
  }
  if (e < nowSeconds) {
    throw new ScimError(400, `The cursor has expired: cursors are valid for ${CURSOR_TIMEOUT_SECONDS} seconds (cursorTimeout). Start again with an empty cursor.`, 'expiredCursor')
  }
  return position
}

export interface ScimCursorPage<T> {
  readonly items: T[]
  readonly next: ScimCursorPosition | undefined
  readonly previous: ScimCursorPosition | undefined
}

export interface ScimKeysetFetch {
  /** Rows strictly after (`after`) or strictly before (`before`) the key; neither: from the start. */
  readonly after?: ScimKeysetKey
  readonly before?: ScimKeysetKey
  readonly limit: number
}

/**
 * One keyset page. `fetch` returns rows nearest the key first: in list order for `after`
 * and the first page, in reverse list order for `before`. One extra row is asked for, to
 * know whether another page exists without counting.
 */
export async function pageByKeyset<T> (
  position: ScimCursorPosition, count: number, keyOf: (row: T) => ScimKeysetKey,
  fetch: (request: ScimKeysetFetch) => Promise<T[]>
): Promise<ScimCursorPage<T>> {
  if (position.kind === 'offset') throw ScimError.invalidCursor(INVALID_DETAIL)
  if (position.kind === 'before') {
    const rows = await fetch({ before: position.key, limit: count + 1 })
    const items = rows.slice(0, count).reverse()
    const first = items[0]
    const last = items[items.length - 1]
    return {
      items,
      // At least the row of the key follows; with nothing left before it, go back to the start.
      next: last !== undefined ? { kind: 'after', key: keyOf(last) } : { kind: 'start' },
      previous: rows.length > count && first !== undefined ? { kind: 'before', key: keyOf(first) } : undefined
    }
  }
  const after = position.kind === 'after' ? position.key : undefined
  const rows = await fetch({ ...(after !== undefined ? { after } : {}), limit: count + 1 })
  const items = rows.slice(0, count)
  const first = items[0]
  const last = items[items.length - 1]
  return {
    items,
    next: rows.length > count && last !== undefined ? { kind: 'after', key: keyOf(last) } : undefined,
    previous: after !== undefined && first !== undefined ? { kind: 'before', key: keyOf(first) } : undefined
  }
}

/** One offset page (explicit sortBy); `fetch` answers the rows and the query's totalResults. */
export async function pageByOffset<T> (
  position: ScimCursorPosition, count: number,
  fetch: (offset: number, limit: number) => Promise<{ items: T[], total: number }>
): Promise<ScimCursorPage<T> & { total: number }> {
  if (position.kind !== 'offset' && position.kind !== 'start') throw ScimError.invalidCursor(INVALID_DETAIL)
  const offset = position.kind === 'offset' ? position.offset : 0
  const { items, total } = await fetch(offset, count)
  return {
    items,
    total,
    next: offset + count < total && count > 0 ? { kind: 'offset', offset: offset + count } : undefined,
    previous: offset > 0 ? { kind: 'offset', offset: Math.max(0, offset - count) } : undefined
  }
}

/**
 * RFC 9865 §2.3 lets a client choose a method by parameter; one request naming both leaves
 * no single meaning, so it is refused rather than guessed.
 */
export function assertOnePaginationMethod (input: { readonly startIndex?: unknown, readonly cursor?: unknown }): void {
  const given = (value: unknown) => value !== undefined && value !== null
  if (given(input.startIndex) && given(input.cursor)) {
    throw ScimError.invalidValue('Use either startIndex (index pagination) or cursor (cursor pagination, RFC 9865), not both.')
  }
}

export interface ScimCursorListRequest<R> {
  /** The parsed list parameters; `cursor` must be set ('' asks for the first page). */
  readonly params: Pick<ScimListParams, 'cursor' | 'count' | 'filter' | 'sortOrder'>
  /** The canonical sortBy path (resolveSortBy), if any. */
  readonly sortBy: string | undefined
  readonly resourceType: string
  readonly organizationId: string
  /** Rows of the default order after/before a key, nearest first, each with its key; and the total. */
  readonly fetchKeyset: (request: ScimKeysetFetch) => Promise<{ totalResults: number, rows: Array<{ record: R, key: ScimKeysetKey }> }>
  /** Rows of the sorted order from an offset; and the total. */
  readonly fetchOffset: (offset: number, limit: number) => Promise<{ totalResults: number, rows: R[] }>
  /** Unix time; defaults to the clock. */
  readonly nowSeconds?: number
}

export interface ScimCursorListPage<R> {
  readonly records: R[]
  readonly totalResults: number
  readonly nextCursor: string | undefined
  readonly previousCursor: string | undefined
}

/**
 * One page of a list under cursor pagination: decodes the cursor against this query, reads
 * by keyset in the default order (no sortBy, ascending) and by offset otherwise, and encodes
 * the cursors of the neighbouring pages.
 */
export async function pageListByCursor<R> (request: ScimCursorListRequest<R>): Promise<ScimCursorListPage<R>> {
  const { params, sortBy } = request
  const nowSeconds = request.nowSeconds ?? Math.floor(Date.now() / 1000)
  const query: ScimCursorQuery = {
    resourceType: request.resourceType, organizationId: request.organizationId, filter: params.filter, sortBy, sortOrder: params.sortOrder
  }
  const position = decodeCursor(params.cursor ?? '', query, nowSeconds)
  let totalResults = 0
  let page: ScimCursorPage<{ record: R, key?: ScimKeysetKey }>
  if (sortBy === undefined && params.sortOrder === 'ascending') {
    page = await pageByKeyset(position, params.count, row => row.key as ScimKeysetKey, async fetch => {
      const answer = await request.fetchKeyset(fetch)
      totalResults = answer.totalResults
      return answer.rows
    })
  } else {
    const offsetPage = await pageByOffset(position, params.count, async (offset, limit) => {
      const answer = await request.fetchOffset(offset, limit)
      return { items: answer.rows.map(record => ({ record })), total: answer.totalResults }
    })
    totalResults = offsetPage.total
    page = offsetPage
  }
  const encode = (p: ScimCursorPosition | undefined) => p === undefined ? undefined : encodeCursor(p, query, nowSeconds)
  return { records: page.items.map(row => row.record), totalResults, nextCursor: encode(page.next), previousCursor: encode(page.previous) }
}
