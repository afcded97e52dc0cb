import t from 'tap'
import {
  CURSOR_TIMEOUT_SECONDS, assertOnePaginationMethod, decodeCursor, encodeCursor, pageByKeyset, pageByOffset
} from '../../src/scim/cursor.js'
import type { ScimCursorPage, ScimCursorPosition, ScimKeysetFetch, ScimKeysetKey } from '../../src/scim/cursor.js'
import { ScimError } from '../../src/scim/errors.js'

const query = { resourceType: 'User', organizationId: '6f1c2b9e-0000-4000-8000-000000000001', filter: 'userName sw "a"', sortBy: undefined, sortOrder: 'ascending' }
const NOW = 1_800_000_000
const key = (n: number): ScimKeysetKey => ({ createdAt: `2026-11-27T14:00:00.${String(n).padStart(6, '0')}Z`, id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}` })
const thrown = (fn: () => unknown): ScimError => {
  try { fn() } catch (error) { if (error instanceof ScimError) return error; throw error }
  throw new Error('expected a ScimError')
}

t.test('round trip of every position; only unreserved characters (RFC 9865 §2)', async t => {
  const positions: ScimCursorPosition[] = [{ kind: 'start' }, { kind: 'after', key: key(7) }, { kind: 'before', key: key(8) }, { kind: 'offset', offset: 300 }]
  for (const position of positions) {
    const cursor = encodeCursor(position, query, NOW)
    t.match(cursor, /^[A-Za-z0-9\-._~]+$/)
    t.same(decodeCursor(cursor, query, NOW + CURSOR_TIMEOUT_SECONDS), position)
  }
  t.same(decodeCursor('', query, NOW), { kind: 'start' }, 'an empty cursor is the first page')
  t.same(decodeCursor('  ', query, NOW), { kind: 'start' })
})

t.test('the cursor is bound to its query', async t => {
  const cursor = encodeCursor({ kind: 'after', key: key(1) }, query, NOW)
  t.same(decodeCursor(cursor, { ...query, filter: ' userName sw "a" ' }, NOW), { kind: 'after', key: key(1) }, 'surrounding blanks of the filter do not matter')
  const others = [
    { ...query, filter: 'userName sw "b"' },
    { ...query, filter: undefined },
    { ...query, sortBy: 'userName' },
    { ...query, sortOrder: 'descending' },
    { ...query, resourceType: 'Group' },
    { ...query, organizationId: '6f1c2b9e-0000-4000-8000-000000000002' }
  ]
  for (const other of others) {
    const error = thrown(() => decodeCursor(cursor, other, NOW))
    t.equal(error.status, 400)
    t.equal(error.scimType, 'invalidCursor', JSON.stringify(other))
  }
})

t.test('garbage and edited cursors are invalidCursor; old ones are expiredCursor', async t => {
  const cursor = encodeCursor({ kind: 'after', key: key(1) }, query, NOW)
  const [body, checksum] = cursor.split('.') as [string, string]
  const flipped = body.slice(0, 10) + (body[10] === 'A' ? 'B' : 'A') + body.slice(11)
  const forgedBody = Buffer.from(JSON.stringify({ v: 1, q: 'x', e: NOW + 10, p: ['s'] })).toString('base64url')
  const bad = ['abc', 'a.b', `${body}.${checksum}.x`, `${flipped}.${checksum}`, cursor.slice(0, -1), `${forgedBody}.${checksum}`, '!!!.???', 'bnVsbA.' + 'x'.repeat(16)]
  for (const text of bad) t.equal(thrown(() => decodeCursor(text, query, NOW)).scimType, 'invalidCursor', text)
  const expired = thrown(() => decodeCursor(cursor, query, NOW + CURSOR_TIMEOUT_SECONDS + 1))
  t.equal(expired.status, 400)
  t.equal(expired.scimType, 'expiredCursor')
  t.match(expired.detail, String(CURSOR_TIMEOUT_SECONDS))
})

/** An ordered in-memory table standing in for the keyset query. */
function table (n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ n: i + 1, key: key(i + 1) }))
  const compare = (a: ScimKeysetKey, b: ScimKeysetKey) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)
  const fetch = async (request: ScimKeysetFetch) => {
    if (request.before !== undefined) {
      const before = request.before
      return rows.filter(r => compare(r.key, before) < 0).reverse().slice(0, request.limit)
    }
    const after = request.after
    return rows.filter(r => after === undefined || compare(r.key, after) > 0).slice(0, request.limit)
  }
  return { rows, fetch }
}

t.test('keyset pages: forward to the end, then back to the start', async t => {
  const { fetch } = table(25)
  const keyOf = (row: { key: ScimKeysetKey }) => row.key
  const seen: number[] = []
  let position: ScimCursorPosition | undefined = { kind: 'start' }
  const pages: Array<{ next?: ScimCursorPosition, previous?: ScimCursorPosition }> = []
  while (position !== undefined) {
    const page: ScimCursorPage<{ n: number, key: ScimKeysetKey }> = await pageByKeyset(position, 10, keyOf, fetch)
    seen.push(...page.items.map(r => r.n))
    pages.push(page)
    position = page.next
  }
  t.same(seen, Array.from({ length: 25 }, (_, i) => i + 1), 'every row once, in order')
  t.equal(pages.length, 3)
  t.equal(pages[0]?.previous, undefined, 'no previousCursor on the first page')
  t.equal(pages[2]?.next, undefined, 'no nextCursor on the last page')

  const back = await pageByKeyset(pages[2]?.previous as ScimCursorPosition, 10, keyOf, fetch)
  t.same(back.items.map(r => r.n), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
  const backAgain = await pageByKeyset(back.previous as ScimCursorPosition, 10, keyOf, fetch)
  t.same(backAgain.items.map(r => r.n), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  t.equal(backAgain.previous, undefined, 'back at the start')
  const forward = await pageByKeyset(backAgain.next as ScimCursorPosition, 10, keyOf, fetch)
  t.same(forward.items.map(r => r.n), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
})

t.test('keyset: an empty table, an exact fit, and an offset cursor on a keyset query', async t => {
  const keyOf = (row: { key: ScimKeysetKey }) => row.key
  const empty = await pageByKeyset({ kind: 'start' }, 10, keyOf, table(0).fetch)
  t.same(empty, { items: [], next: undefined, previous: undefined })
  const exact = await pageByKeyset({ kind: 'start' }, 10, keyOf, table(10).fetch)
  t.equal(exact.items.length, 10)
  t.equal(exact.next, undefined, 'no next page when the rows fit exactly')
  const wrong = await pageByKeyset({ kind: 'offset', offset: 3 }, 10, keyOf, table(5).fetch).catch((error: unknown) => error)
  t.equal((wrong as ScimError).scimType, 'invalidCursor')
})

t.test('offset pages (explicit sortBy)', async t => {
  const fetch = async (offset: number, limit: number) => ({ items: Array.from({ length: Math.max(0, Math.min(limit, 25 - offset)) }, (_, i) => offset + i + 1), total: 25 })
  const first = await pageByOffset({ kind: 'start' }, 10, fetch)
  t.same(first, { items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], total: 25, next: { kind: 'offset', offset: 10 }, previous: undefined })
  const last = await pageByOffset({ kind: 'offset', offset: 20 }, 10, fetch)
  t.same(last, { items: [21, 22, 23, 24, 25], total: 25, next: undefined, previous: { kind: 'offset', offset: 10 } })
  const totalsOnly = await pageByOffset({ kind: 'start' }, 0, fetch)
  t.equal(totalsOnly.next, undefined, 'count=0 has no next page to offer')
  const wrong = await pageByOffset({ kind: 'after', key: key(1) }, 10, fetch).catch((error: unknown) => error)
  t.equal((wrong as ScimError).scimType, 'invalidCursor')
})

t.test('startIndex and cursor together are refused', async t => {
  t.equal(thrown(() => assertOnePaginationMethod({ startIndex: '1', cursor: '' })).scimType, 'invalidValue')
  assertOnePaginationMethod({ startIndex: '1' })
  assertOnePaginationMethod({ cursor: '' })
  assertOnePaginationMethod({})
})
