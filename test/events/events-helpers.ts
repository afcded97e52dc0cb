/** Reading the change feed in tests: GET /api/v1/events over app.inject. */
import type { FastifyInstance } from 'fastify'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FeedEvent = any

export interface FeedPage { status: number, events: FeedEvent[], nextCursor: string, hasMore: boolean, body: FeedEvent }

export async function readFeed (app: FastifyInstance, auth: { authorization?: string }, query: Record<string, string | number> = {}): Promise<FeedPage> {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]))
  const response = await app.inject({ method: 'GET', url: `/api/v1/events?${search.toString()}`, headers: auth })
  const body = JSON.parse(response.body)
  return { status: response.statusCode, events: body.events ?? [], nextCursor: body.nextCursor, hasMore: body.hasMore, body }
}

/** Every event after `after`, page by page. */
export async function readAll (app: FastifyInstance, auth: { authorization: string }, query: Record<string, string | number> = {}): Promise<{ events: FeedEvent[], cursor: string }> {
  const events: FeedEvent[] = []
  let cursor: string | undefined = typeof query.after === 'string' ? query.after : undefined
  for (;;) {
    const page = await readFeed(app, auth, { ...query, limit: 500, ...(cursor !== undefined ? { after: cursor } : {}) })
    if (page.status !== 200) throw new Error(`GET /api/v1/events answered ${page.status}: ${JSON.stringify(page.body)}`)
    events.push(...page.events)
    cursor = page.nextCursor
    if (!page.hasMore) return { events, cursor }
  }
}
