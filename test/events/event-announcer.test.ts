/**
 * Wake-ups after the commit (services/event-announcer.ts, migration 0009): this instance's
 * waiters at once, other instances by one coalesced notification sent outside the writers'
 * transactions, which therefore commit without Postgres' notification lock.
 */
import pg from 'pg'
import { sql } from 'kysely'
import t from 'tap'
import { EventAnnouncer } from '../../src/services/event-announcer.js'
import { EventWakeups } from '../../src/services/event-wakeups.js'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

t.test('waiters of the organization wake at once; one statement announces every organization that changed meanwhile', async t => {
  const wakeups = new EventWakeups()
  const sent: string[][] = []
  const announcer = new EventAnnouncer(wakeups, async ids => { sent.push([...ids]) })
  let woken = 0
  const waiting = wakeups.wait('org-a', 60_000).then(() => { woken++ })
  announcer.changed('org-a')
  await waiting
  t.equal(woken, 1, 'the local waiter did not wait for the notification')
  announcer.changed('org-b')
  announcer.changed('org-a')
  await announcer.flush()
  t.same(sent, [['org-a', 'org-b']], 'one announcement, each organization once')
  await announcer.flush()
  t.same(sent.length, 1, 'nothing pending, nothing sent')
})

t.test('a failed announcement is reported and the next one still goes out', async t => {
  const errors: unknown[] = []
  const sent: string[][] = []
  let fail = true
  const announcer = new EventAnnouncer(new EventWakeups(), async ids => {
    if (fail) { fail = false; throw new Error('database away') }
    sent.push([...ids])
  }, error => { errors.push(error) })
  announcer.changed('org-a')
  await announcer.flush()
  announcer.changed('org-b')
  await announcer.flush()
  t.equal(errors.length, 1)
  t.same(sent, [['org-b']])
})

const listenOnly = usingEmbedded() && 'embedded Postgres has no notifications between sessions'

t.test('on Postgres: a write is announced to listeners after its transaction, not by it', { skip: listenOnly }, async t => {
  const { app, db, auth, services } = await build(t)
  // Notifications stay in their database: listen on the test's own.
  const url = new URL(process.env.DATABASE_URL as string)
  url.pathname = `/${(await sql<{ name: string }>`select current_database() as name`.execute(db)).rows[0]?.name as string}`
  const listener = new pg.Client({ connectionString: url.toString() })
  await listener.connect()
  t.teardown(() => listener.end())
  const payloads: string[] = []
  let arrived = (): void => {}
  listener.on('notification', message => { payloads.push(message.payload ?? ''); arrived() })
  await listener.query('listen scim_events')
  const next = async (): Promise<string> => {
    while (payloads.length === 0) await new Promise<void>(resolve => { arrived = resolve })
    return payloads.shift() as string
  }

  // The recording statement itself notifies no one: commit it, then a marker; the listener
  // gets notifications in commit order, so the marker comes first.
  const organization = (await services.tokens.verify(auth.authorization.slice(7)))
  if (organization.kind !== 'valid') throw new Error('token')
  const orgId = organization.organization.id
  await db.transaction().execute(async trx => {
    await sql`select scim_record_event(${orgId}::uuid, 'User', gen_random_uuid(), 'delete', null, '{}', '{}', '{}', null, null, null)`.execute(trx)
  })
  await sql`select pg_notify('scim_events', 'marker')`.execute(db)
  t.equal(await next(), 'marker', 'no notification from inside the transaction that recorded the event')

  const created = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: { schemas: [USER], userName: 'announced@example.com' } })
  t.equal(created.statusCode, 201)
  t.equal(await next(), orgId, 'the write is announced, with its organization, once it has answered')
})
