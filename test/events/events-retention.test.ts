/** Retention: events older than EVENT_RETENTION_DAYS go, in batches; newer ones stay. */
import t from 'tap'
import { sql } from 'kysely'
import { pruneExpiredEvents } from '../../src/services/event-retention.js'
import { build } from '../helpers/app.js'
import { organizationId, scimClient } from '../groups/group-helpers.js'
import { readAll } from './events-helpers.js'

t.test('old events are pruned in batches, newer ones kept', async t => {
  const { app, db, auth, config } = await build(t)
  t.equal(config.eventRetentionDays, 90, 'the default')
  const scim = scimClient(app, auth)
  for (let i = 0; i < 7; i++) await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `r${i}@example.com` })
  const org = await organizationId(db)
  const events = (await readAll(app, auth)).events
  // The first five happened 91 days ago.
  await sql`update events set occurred_at = now() - interval '91 days' where organization_id = ${org} and position <= 5`.execute(db)
  t.equal(await pruneExpiredEvents(db, 90, { batch: 2 }), 5)
  t.same((await readAll(app, auth)).events.map(e => e.sequence), events.slice(5).map(e => e.sequence))
  t.equal(await pruneExpiredEvents(db, 90), 0, 'nothing more to do')
  // A shorter retention takes more.
  await sql`update events set occurred_at = now() - interval '2 days' where organization_id = ${org}`.execute(db)
  t.equal(await pruneExpiredEvents(db, 1), 2)
})
