/**
 * The true totalResults of a list page (RFC 7644 §3.4.2), read in the page's own statement.
 * The page is a CTE named `page`; a first page shorter than asked for is the whole result,
 * so then its length is the total and `count` never runs: Postgres evaluates a CASE branch's
 * subquery (an InitPlan) only when the branch is reached. That is the usual lookup (Entra's
 * and Okta's `userName eq`, `externalId eq`, `displayName eq`), whose one row would
 * otherwise cost a second index probe. `first` says whether the page starts at offset 0 (given
 * apart when the offset is a compiled-once parameter).
 */
import { sql, type RawBuilder } from 'kysely'

export function pageTotal (count: unknown, page: { offset: number, limit: number }, first = page.offset === 0): RawBuilder<number> {
  return first
    ? sql<number>`case when (select count(*) from page) < ${page.limit} then (select count(*)::int from page) else (${count}) end`
    : sql<number>`(${count})`
}

/**
 * The total when the page came back empty, so that no row carried it: nothing matches at all
 * when that was the first page; otherwise (count=0, startIndex past the end) it is counted.
 */
export async function totalOfEmptyPage (page: { offset: number, limit: number }, count: () => Promise<number>): Promise<number> {
  return page.limit > 0 && page.offset === 0 ? 0 : await count()
}
