/**
 * The change feed: every committed change of a user or group is one event (or, for large
 * member changes, a few), written in the change's transaction; nothing for what rolls back;
 * read in commit order with an opaque cursor, per resource, and only by its organization.
 */
import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { insertUsers, organizationId, patchBody, scimClient } from '../groups/group-helpers.js'
import { positionEvents } from '../../src/repositories/event.repository.js'
import { readAll, readFeed } from './events-helpers.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'

t.test('change feed', async t => {
  const { app, db, services } = await build(t)
  const labelled = await services.tokens.create('acme', { scopes: ['scim:write', 'events:read'], label: 'Entra provisioning' })
  const auth = { authorization: `Bearer ${labelled.token}` }
  const scim = scimClient(app, auth)
  const org = await organizationId(db)

  t.test('each change of a user and a group is one event with what changed, the version after it and who did it', async t => {
    const start = (await readAll(app, auth)).cursor
    const user = await scim('POST', '/Users', { schemas: [USER], userName: 'ann@example.com', displayName: 'Ann' }, { 'x-request-id': 'req-create-ann' })
    t.equal(user.status, 201)
    const id = user.body.id as string
    t.equal((await scim('PATCH', `/Users/${id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Ann B' }))).status, 200)
    t.equal((await scim('PUT', `/Users/${id}`, { schemas: [USER], userName: 'ann@example.com', displayName: 'Ann B', title: 'Boss' })).status, 200)
    const group = await scim('POST', '/Groups', { displayName: 'Admins', members: [{ value: id }] })
    const gid = group.body.id as string
    t.equal((await scim('PATCH', `/Groups/${gid}`, patchBody({ op: 'remove', path: `members[value eq "${id}"]` }))).status, 204)
    t.equal((await scim('DELETE', `/Groups/${gid}`)).status, 204)
    t.equal((await scim('DELETE', `/Users/${id}`)).status, 204)

    const { events } = await readAll(app, auth, { after: start })
    t.same(events.map(e => [e.resourceType, e.operation, e.version, e.attributes]), [
      ['User', 'create', 'W/"1"', ['active', 'displayName', 'userName', 'userType']],
      ['User', 'patch', 'W/"2"', ['displayName']],
      ['User', 'replace', 'W/"3"', ['title']],
      ['Group', 'create', 'W/"1"', ['displayName', 'members']],
      ['Group', 'patch', 'W/"2"', ['members']],
      ['Group', 'delete', undefined, []],
      ['User', 'delete', undefined, []]
    ])
    t.same(events[3].members, { added: [id], removed: [] })
    t.same(events[4].members, { added: [], removed: [id] })
    t.notOk('members' in events[0], 'users carry no member lists')
    for (const event of events) t.same(event.actor, { tokenId: labelled.id, label: 'Entra provisioning' })
    t.equal(events[0].requestId, 'req-create-ann')
    t.ok(events.every((e, i) => i === 0 || BigInt(e.sequence) > BigInt(events[i - 1].sequence)), 'sequence increases')
    t.equal(new Set(events.map(e => e.cursor)).size, events.length)
  })

  t.test('a request that fails or changes nothing leaves no event', async t => {
    const [member] = await insertUsers(db, org, 1) as [string]
    const [admin] = await insertUsers(db, org, 1, { userType: 'admin' }) as [string]
    const group = (await scim('POST', '/Groups', { displayName: 'Rollbacks', members: [{ value: member }] })).body.id as string
    const before = (await readAll(app, auth)).cursor
    // Refused by the membership rule after the group row was locked and the check ran: rolled back.
    t.equal((await scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: [{ value: admin }] }))).status, 400)
    t.equal((await scim('PUT', `/Groups/${group}`, { displayName: 'Rollbacks', members: [{ value: admin }] })).status, 400)
    t.equal((await scim('POST', '/Groups', { displayName: 'Rollbacks' })).status, 409)
    t.equal((await scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: [{ value: member }] }), { 'if-match': 'W/"7"' })).status, 412)
    // A no-op: adding an existing member changes nothing, the version stays.
    t.equal((await scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: [{ value: member }] }))).status, 204)
    t.equal((await scim('POST', '/Users', { schemas: [USER], userName: 'dup@example.com' })).status, 201)
    t.equal((await scim('POST', '/Users', { schemas: [USER], userName: 'DUP@example.com' })).status, 409)
    // A user in a group cannot stop being a customer: refused inside the write's transaction.
    t.equal((await scim('PATCH', `/Users/${member}`, patchBody({ op: 'replace', path: 'userType', value: 'admin' }))).status, 400)
    const after = await readAll(app, auth, { after: before })
    t.match(after.events.map(e => [e.resourceType, e.operation]), [['User', 'create']], 'only the one user created')
    const rows = await db.selectFrom('events').select(eb => eb.fn.countAll<string>().as('n')).where('organization_id', '=', org).executeTakeFirstOrThrow()
    t.equal(Number(rows.n), (await readAll(app, auth)).events.length, 'the table holds exactly what the feed shows')
  })

  t.test('a PATCH adding 10,000 members is a few events holding every id, and the group version once', async t => {
    const ids = await insertUsers(db, org, 10_000)
    const group = (await scim('POST', '/Groups', { displayName: 'Big' })).body.id as string
    const from = (await readAll(app, auth)).cursor
    const res = await scim('PATCH', `/Groups/${group}`, patchBody({ op: 'add', path: 'members', value: ids.map(value => ({ value })) }))
    t.equal(res.status, 204)
    const { events } = await readAll(app, auth, { after: from, resourceId: group })
    t.equal(events.length, 10)
    t.ok(events.every(e => e.version === 'W/"2"' && e.operation === 'patch'))
    t.same(events.flatMap(e => e.members.added).sort(), [...ids].sort())
  })

  t.test('a member change of up to 1,000 ids is one event, one more id makes it two, each listing its ids once', async t => {
    const ids = await insertUsers(db, org, 1001)
    const group = (await scim('POST', '/Groups', { displayName: 'Thousand' })).body.id as string
    const changes: Array<[string, string[], number]> = [
      ['add', ids.slice(0, 1000), 1],
      ['remove', ids.slice(0, 1000), 1],
      ['add', ids, 2],
      ['remove', ids, 2]
    ]
    for (const [index, [op, changed, parts]] of changes.entries()) {
      const from = (await readAll(app, auth)).cursor
      const requestId = `req-thousand-${index}`
      const res = await scim('PATCH', `/Groups/${group}`, patchBody({ op, path: 'members', value: changed.map(value => ({ value })) }), { 'x-request-id': requestId })
      t.equal(res.status, 204, `${op} of ${changed.length}`)
      const { events } = await readAll(app, auth, { after: from, resourceId: group })
      t.equal(events.length, parts, `${op} of ${changed.length}: ${parts} event(s)`)
      t.ok(events.every(e => e.version === `W/"${index + 2}"` && e.operation === 'patch' && e.attributes.join() === 'members' &&
        e.resourceType === 'Group' && e.requestId === requestId && e.actor.tokenId === labelled.id && e.actor.label === 'Entra provisioning'))
      const listed = events.flatMap(e => op === 'add' ? e.members.added : e.members.removed)
      t.same([...listed].sort(), [...changed].sort(), 'every id once')
      t.same(events.flatMap(e => op === 'add' ? e.members.removed : e.members.added), [])
    }
  })

  t.test('a resource\'s history by id, and by type', async t => {
    const a = (await scim('POST', '/Users', { schemas: [USER], userName: 'hist-a@example.com' })).body.id as string
    const b = (await scim('POST', '/Users', { schemas: [USER], userName: 'hist-b@example.com' })).body.id as string
    await scim('PATCH', `/Users/${a}`, patchBody({ op: 'replace', path: 'active', value: false }))
    const history = await readAll(app, auth, { resourceId: a.toUpperCase() })
    t.same(history.events.map(e => [e.resourceId, e.operation, e.attributes]), [[a, 'create', ['active', 'userName', 'userType']], [a, 'patch', ['active']]])
    t.notOk((await readAll(app, auth, { resourceType: 'Group' })).events.some(e => e.resourceId === b))
    t.ok((await readAll(app, auth, { resourceType: 'User' })).events.every(e => e.resourceType === 'User'))
  })

  t.test('each operation of a /Bulk is recorded as its own change, under the bulk request\'s id', async t => {
    const from = (await readAll(app, auth)).cursor
    const res = await app.inject({
      method: 'POST',
      url: '/scim/v2/Bulk',
      headers: { ...auth, 'content-type': 'application/scim+json', 'x-request-id': 'bulk-7' },
      payload: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'u', data: { schemas: [USER], userName: 'bulk-one@example.com' } },
          { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'Bulk group', members: [{ value: 'bulkId:u' }] } },
          { method: 'POST', path: '/Users', data: { schemas: [USER], userName: 'bulk-one@example.com' } }
        ]
      })
    })
    t.equal(res.statusCode, 200)
    const { events } = await readAll(app, auth, { after: from })
    t.same(events.map(e => [e.resourceType, e.operation, e.requestId]), [['User', 'create', 'bulk-7.1'], ['Group', 'create', 'bulk-7.2']], 'the failed third operation left nothing')
    t.same(events[1].members.added, [events[0].resourceId])
  })

  t.test('paging: limit, hasMore, and a cursor that stays put on an empty page', async t => {
    const first = await readFeed(app, auth, { limit: 2 })
    t.equal(first.events.length, 2)
    t.equal(first.hasMore, true)
    const second = await readFeed(app, auth, { limit: 2, after: first.nextCursor })
    t.ok(BigInt(second.events[0].sequence) > BigInt(first.events[1].sequence))
    const end = await readAll(app, auth)
    const empty = await readFeed(app, auth, { after: end.cursor })
    t.same([empty.events, empty.nextCursor, empty.hasMore], [[], end.cursor, false])
  })

  t.test('bad parameters are 400 with a SCIM error', async t => {
    const queries: Array<Record<string, string | number>> = [{ after: 'nonsense' }, { after: Buffer.from('ev1.-4').toString('base64url') }, { resourceId: 'x' }, { limit: 0 }, { limit: 501 }, { resourceType: 'Printer' }, { unknown: 1 }]
    for (const query of queries) {
      const page = await readFeed(app, auth, query)
      t.equal(page.status, 400, JSON.stringify(query))
      t.equal(page.body.status, '400')
    }
  })

  t.test('another organization sees none of these events, whatever cursor it sends', async t => {
    const globex = await services.tokens.create('globex', { scopes: ['scim:write', 'events:read'] })
    const globexAuth = { authorization: `Bearer ${globex.token}` }
    t.same((await readAll(app, globexAuth)).events, [])
    const acme = await readAll(app, auth)
    await scimClient(app, globexAuth)('POST', '/Users', { schemas: [USER], userName: 'globex@example.com' })
    const seen = await readAll(app, globexAuth)
    t.equal(seen.events.length, 1)
    t.equal(seen.events[0].sequence, '1', 'sequences are per organization')
    t.same((await readFeed(app, globexAuth, { after: acme.events[0].cursor })).events, [], 'a cursor is a position, not a key to other events')
    const acmeAgain = await readAll(app, auth)
    t.equal(acmeAgain.events.length, acme.events.length)
  })

  t.test('the feed needs events:read', async t => {
    const writer = await services.tokens.create('acme', { scopes: ['scim:write'] })
    const page = await readFeed(app, { authorization: `Bearer ${writer.token}` })
    t.equal(page.status, 403)
    t.equal((await readFeed(app, {})).status, 401)
  })
})

t.test('deleting an organization deletes its change history and deliveries, and only its own', async t => {
  const { app, db, services } = await build(t)
  const doomed = await services.tokens.create('doomed', { scopes: ['scim:write', 'events:read'] })
  const kept = await services.tokens.create('kept', { scopes: ['scim:write', 'events:read'] })
  const doomedId = doomed.organization.id
  // Registered first: an event gets deliveries queued when it is positioned, for the receivers then.
  await sql`insert into event_receivers (organization_id, url) values (${doomedId}::uuid, 'https://receiver.example.com/events')`.execute(db)
  for (const [token, name] of [[doomed.token, 'doomed'], [kept.token, 'kept']] as const) {
    const scim = scimClient(app, { authorization: `Bearer ${token}` })
    const user = await scim('POST', '/Users', { schemas: [USER], userName: `${name}@example.com` })
    t.equal(user.status, 201)
    t.equal((await scim('POST', '/Groups', { displayName: `${name} staff`, members: [{ value: user.body.id }] })).status, 201)
  }
  // Reading the feed positions any event no background pass has yet: each got one delivery queued.
  t.equal((await readAll(app, { authorization: `Bearer ${doomed.token}` })).events.length, 2)
  const count = async (table: 'events' | 'event_deliveries', organization: string): Promise<number> =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where organization_id = ${organization}::uuid`.execute(db)).rows[0]?.n)
  t.equal(await count('event_deliveries', doomedId), 2)
  const keptBefore = (await readAll(app, { authorization: `Bearer ${kept.token}` })).events

  await sql`delete from organizations where id = ${doomedId}::uuid`.execute(db)
  t.equal(await count('events', doomedId), 0)
  t.equal(await count('event_deliveries', doomedId), 0)
  t.same((await readAll(app, { authorization: `Bearer ${kept.token}` })).events, keptBefore, 'the other organization keeps its history')
  t.equal(await count('events', kept.organization.id), 2)

  // A truncate (as a reseeding script does) fires no delete trigger: a truncate trigger empties
  // the events, so the feed's positioning never meets an event without its organization.
  const write = await scimClient(app, { authorization: `Bearer ${kept.token}` })('POST', '/Users', { schemas: [USER], userName: 'late@example.com' })
  t.equal(write.status, 201)
  await sql`truncate organizations cascade`.execute(db)
  t.equal(Number((await sql<{ n: string }>`select count(*) as n from events`.execute(db)).rows[0]?.n), 0)
  t.equal((await positionEvents(db, 1000)).positioned, 0, 'a positioning pass finds nothing to do, and does not fail')
})
