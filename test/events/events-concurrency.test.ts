/**
 * 50 concurrent writers while a reader follows the feed with its cursor: the reader sees
 * every event exactly once, in sequence order, and each resource's events in the order of
 * its versions. A reader that skipped an event committing late with a smaller number (the
 * failure a plain sequence would have) would miss it here, since it never reads behind its
 * cursor.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { patchBody, scimClient } from '../groups/group-helpers.js'
import { readAll, readFeed, type FeedEvent } from './events-helpers.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const WRITERS = 50

t.test('no event lost or repeated under 50 concurrent writers', async t => {
  const { app, auth } = await build(t)
  const scim = scimClient(app, auth)
  const group = (await scim('POST', '/Groups', { displayName: 'Everyone' })).body.id as string
  const start = (await readAll(app, auth)).cursor

  let writing = true
  const seen: FeedEvent[] = []
  const follow = (async () => {
    let cursor = start
    for (;;) {
      const done = !writing
      const page = await readFeed(app, auth, { after: cursor, limit: 7 })
      seen.push(...page.events)
      cursor = page.nextCursor
      if (done && !page.hasMore) return
      // A real follower waits on the network between pages; in-process embedded Postgres
      // answers without any I/O, so without this the loop would never let the writers' requests in.
      await new Promise(resolve => setImmediate(resolve))
    }
  })()

  const writer = async (n: number): Promise<string> => {
    const created = await scim('POST', '/Users', { schemas: [USER], userName: `writer${n}@example.com` })
    if (created.status !== 201) throw new Error(`create ${created.status}`)
    const id = created.body.id as string
    await scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'displayName', value: `Writer ${n}` }))
    // All writers on one group: its row lock serializes them, in an order nobody chose.
    const joined = await scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: [{ value: id }] }))
    if (joined.status !== 204) throw new Error(`join ${joined.status}`)
    await scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'title', value: 'Writer' }))
    return id
  }
  const ids = await Promise.all(Array.from({ length: WRITERS }, async (_, n) => await writer(n)))
  writing = false
  await follow

  const all = (await readAll(app, auth, { after: start })).events
  t.equal(all.length, WRITERS * 4, 'one event per committed change')
  t.same(seen.map(e => e.sequence), all.map(e => e.sequence), 'the follower saw every event once, in order')
  t.ok(all.every((e, i) => i === 0 || BigInt(e.sequence) > BigInt(all[i - 1].sequence)))

  const history = all.filter(e => e.resourceId === group)
  t.same(history.map(e => e.version), Array.from({ length: WRITERS }, (_, i) => `W/"${i + 2}"`), 'the group\'s events in version order')
  t.same(new Set(history.flatMap(e => e.members.added)), new Set(ids))
  for (const id of ids) {
    t.same(all.filter(e => e.resourceId === id).map(e => e.version), ['W/"1"', 'W/"2"', 'W/"3"'])
  }
})
