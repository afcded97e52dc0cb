/**
 * Feed positions after the commit (migration 0010, services/event-positioner.ts): writers of
 * one organization do not wait for each other, an event that commits late with a smaller
 * internal number still enters the feed (after what was read already, never behind a
 * reader's cursor), and the wake-up comes from the positioning transaction, not the writer's.
 */
import pg from 'pg'
import { sql } from 'kysely'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'
import { readAll, readFeed } from './events-helpers.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const twoSessions = usingEmbedded() && 'embedded Postgres has one session: transactions cannot overlap'

async function organizationOf (app: Awaited<ReturnType<typeof build>>): Promise<string> {
  const verified = await app.services.tokens.verify(app.token)
  if (verified.kind !== 'valid') throw new Error('token')
  return verified.organization.id
}

/** A session of its own on the test's database (not from the pool). */
async function session (t: { teardown: (fn: () => unknown) => void }, db: Db): Promise<pg.Client> {
  const url = new URL(process.env.DATABASE_URL as string)
  url.pathname = `/${(await sql<{ name: string }>`select current_database() as name`.execute(db)).rows[0]?.name as string}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  t.teardown(() => client.end())
  return client
}

/** The application, its organization and two sessions of its own on its database. */
async function withTwoSessions (t: { teardown: (fn: () => unknown) => void }): Promise<{ built: Awaited<ReturnType<typeof build>>, orgId: string, one: pg.Client, two: pg.Client }> {
  const built = await build(t)
  return { built, orgId: await organizationOf(built), one: await session(t, built.db), two: await session(t, built.db) }
}

const RECORD = `select scim_record_event($1::uuid, 'User', gen_random_uuid(), 'delete', null, '{}', '{}', '{}', null, null, $2)`

/** Records an event (request id `label`) as a writer's statement would, through Kysely. */
async function record (executor: Db, orgId: string, label: string): Promise<void> {
  await sql`select scim_record_event(${orgId}::uuid, 'User', gen_random_uuid(), 'delete', null, '{}', '{}', '{}', null, null, ${label})`.execute(executor)
}

t.test('a write of the organization does not wait for another one still open', { skip: twoSessions }, async t => {
  const { built, orgId, one: slow, two: fast } = await withTwoSessions(t)
  await slow.query('begin')
  await slow.query(RECORD, [orgId, 'slow'])
  // Before 0010 this statement waited for `slow` to end (the organization's counter row).
  await fast.query("set statement_timeout = '5s'")
  await fast.query('begin')
  await fast.query(RECORD, [orgId, 'fast'])
  await fast.query('commit')
  t.same((await readAll(built.app, built.auth)).events.map(e => e.requestId), ['fast'], 'the committed one is in the feed')
  await slow.query('commit')
  t.same((await readAll(built.app, built.auth)).events.map(e => e.requestId), ['fast', 'slow'], 'the late one follows it')
})

t.test('an event that commits after a larger-numbered one is not skipped by a reader that read past that one', { skip: twoSessions }, async t => {
  const { built, orgId, one: early, two: late } = await withTwoSessions(t)
  await early.query('begin')
  const first = await early.query<{ seq: string }>(`${RECORD} as seq`, [orgId, 'numbered first'])
  await late.query('begin')
  const second = await late.query<{ seq: string }>(`${RECORD} as seq`, [orgId, 'numbered second'])
  t.ok(BigInt(second.rows[0]?.seq ?? 0) > BigInt(first.rows[0]?.seq ?? 0))
  await late.query('commit')
  const page = await readFeed(built.app, built.auth)
  t.same(page.events.map(e => e.requestId), ['numbered second'])
  await early.query('commit')
  const next = await readFeed(built.app, built.auth, { after: page.nextCursor })
  t.same(next.events.map(e => e.requestId), ['numbered first'], 'read after the cursor, not lost behind it')
  t.ok(BigInt(next.events[0].sequence) > BigInt(page.events[0].sequence))
})

t.test('a rolled-back event never gets a position; positions continue per organization', async t => {
  const built = await build(t)
  const orgId = await organizationOf(built)
  await built.db.transaction().execute(async trx => { await record(trx, orgId, 'kept 1') })
  await built.db.transaction().execute(async trx => {
    await record(trx, orgId, 'rolled back')
    await sql`select 1/0`.execute(trx)
  }).catch(() => {})
  await built.db.transaction().execute(async trx => { await record(trx, orgId, 'kept 2') })
  const events = (await readAll(built.app, built.auth)).events
  t.same(events.map(e => e.requestId), ['kept 1', 'kept 2'])
  t.same(events.map(e => e.sequence), ['1', '2'], 'the organization\'s own numbers, from 1')
  const other = await built.tokenFor('globex')
  const created = await built.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...other, 'content-type': 'application/scim+json' }, payload: { schemas: [USER], userName: 'g@example.com' } })
  t.equal(created.statusCode, 201)
  t.same((await readAll(built.app, other)).events.map(e => e.sequence), ['1'], 'another organization starts at 1 too')
})

t.test('an event no instance positioned after its write is positioned by the sweep, and wakes waiters', async t => {
  const built = await build(t, { EVENTS_POLL_INTERVAL_MS: '50' })
  await built.app.ready()
  const orgId = await organizationOf(built)
  // Written as by an instance that crashed after its commit: no pass follows the write.
  await record(built.db, orgId, 'orphan')
  await built.services.wakeups.wait(orgId, 10_000)
  const positioned = await sql<{ position: string | null }>`select position::text from events where organization_id = ${orgId}`.execute(built.db)
  t.same(positioned.rows.map(row => row.position), ['1'], 'positioned without any read or write on this instance')
})

t.test('on Postgres: the writer\'s transaction notifies no one; the positioning one does, once per organization', { skip: twoSessions }, async t => {
  const built = await build(t)
  const orgId = await organizationOf(built)
  const listener = await session(t, built.db)
  const payloads: string[] = []
  let arrived = (): void => {}
  listener.on('notification', message => { payloads.push(message.payload ?? ''); arrived() })
  await listener.query('listen scim_events')
  const next = async (): Promise<string> => {
    while (payloads.length === 0) await new Promise<void>(resolve => { arrived = resolve })
    return payloads.shift() as string
  }
  await built.db.transaction().execute(async trx => {
    await record(trx, orgId, 'one')
    await record(trx, orgId, 'two')
  })
  await sql`select pg_notify('scim_events', 'marker')`.execute(built.db)
  t.equal(await next(), 'marker', 'no notification from the transaction that recorded the events')
  await built.services.positioner.run()
  t.equal(await next(), orgId, 'the pass that positioned both announces the organization')
  await sql`select pg_notify('scim_events', 'marker')`.execute(built.db)
  t.equal(await next(), 'marker', 'once')

  const created = await built.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...built.auth, 'content-type': 'application/scim+json' }, payload: { schemas: [USER], userName: 'announced@example.com' } })
  t.equal(created.statusCode, 201)
  t.equal(await next(), orgId, 'a write through the API is announced soon after it answered')
})

t.test('a positioning pass that fails does not fail the reads of the feed', async t => {
  const built = await build(t)
  const created = await built.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...built.auth, 'content-type': 'application/scim+json' }, payload: { schemas: [USER], userName: 'before@example.com' } })
  t.equal(created.statusCode, 201)
  const before = await readAll(built.app, built.auth)
  t.equal(before.events.length, 1)
  // The pass's function gone for a while, as if Postgres refused it.
  await sql`alter function scim_position_events(integer) rename to scim_position_events_away`.execute(built.db)
  const page = await readFeed(built.app, built.auth)
  t.equal(page.status, 200, 'the page is read without the pass')
  t.same(page.events.map(e => e.resourceId), [created.json().id])
  t.ok(built.logs.some(line => String(line.msg).includes('feed positions')), 'and the failure is logged')
  await sql`alter function scim_position_events_away(integer) rename to scim_position_events`.execute(built.db)
  const later = await built.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...built.auth, 'content-type': 'application/scim+json' }, payload: { schemas: [USER], userName: 'after@example.com' } })
  t.same((await readFeed(built.app, built.auth, { after: before.cursor })).events.map(e => e.resourceId), [later.json().id], 'and the next pass catches up')
})
