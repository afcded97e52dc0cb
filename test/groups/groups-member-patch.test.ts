/**
 * A PATCH that only adds and removes members runs as one statement (migration 0008's
 * scim_change_group_members). What a client sees must not change: every change bumps the
 * version once, a no-op keeps it, mixed add/remove and add-then-remove of one id behave as
 * the operations say, and a request that waited for the group row's lock sees what the
 * request holding it committed.
 */
import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'
import { insertUsers, memberIds, organizationId, patchBody, scimClient, sorted } from './group-helpers.js'

t.test('member-only PATCH', async t => {
  const { app, db, auth, logs } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [a, b, c, d] = await insertUsers(db, org, 4) as [string, string, string, string]
  const create = async (name: string, members: string[]) =>
    (await scim('POST', '/Groups', { displayName: name, members: members.map(value => ({ value })) })).body.id as string

  t.test('add and remove in one request: both applied, one version', async t => {
    const id = await create('Mixed', [a, b])
    const res = await scim('PATCH', `/Groups/${id}`, patchBody(
      { op: 'Add', path: 'members', value: [{ value: c }, { value: d }] },
      { op: 'Remove', path: 'members', value: [{ value: a }] }
    ))
    t.equal(res.status, 204)
    t.equal(res.headers.etag, 'W/"2"')
    t.same(await memberIds(db, id), sorted([b, c, d]))
  })

  t.test('no-ops keep the version; removing non-members is logged', async t => {
    const id = await create('Steady', [a])
    t.equal((await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: a.toUpperCase() }] }))).headers.etag, 'W/"1"')
    logs.length = 0
    const res = await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${b}"]` }, { op: 'remove', path: 'members[value eq "not-a-uuid"]' }))
    t.equal(res.status, 204)
    t.equal(res.headers.etag, 'W/"1"')
    t.match(logs.find(line => line.msg === 'PATCH removed ids that were not members'), { nonMembersRemoved: 2 })
    t.same(await memberIds(db, id), [a])
  })

  t.test('adding then removing one id in one request leaves it out (request order)', async t => {
    const id = await create('Order', [])
    const res = await scim('PATCH', `/Groups/${id}`, patchBody(
      { op: 'add', path: 'members', value: [{ value: c }] },
      { op: 'remove', path: `members[value eq "${c}"]` }
    ))
    t.equal(res.status, 204)
    t.same(await memberIds(db, id), [])
  })

  t.test('the rule names the refused ids and nothing is applied; unknown group is 404; stale If-Match is 412', async t => {
    const [admin] = await insertUsers(db, org, 1, { userType: 'administrator' }) as [string]
    const id = await create('Ruled', [a])
    const res = await scim('PATCH', `/Groups/${id}`, patchBody(
      { op: 'add', path: 'members', value: [{ value: b }, { value: admin }] },
      { op: 'remove', path: `members[value eq "${a}"]` }
    ))
    t.equal(res.status, 400)
    t.equal(res.body.scimType, 'invalidValue')
    t.match(res.body.detail, admin)
    t.notMatch(res.body.detail, b)
    t.same(await memberIds(db, id), [a])
    t.equal((await scim('GET', `/Groups/${id}`)).headers.etag, 'W/"1"')
    const missing = '00000000-0000-4000-8000-000000000000'
    t.equal((await scim('PATCH', `/Groups/${missing}`, patchBody({ op: 'add', path: 'members', value: [{ value: b }] }))).status, 404)
    t.equal((await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: b }] }), { 'if-match': 'W/"7"' })).status, 412)
    t.same(await memberIds(db, id), [a])
  })

  t.test('a remove that waited for the group lock removes the member the lock holder added', { skip: usingEmbedded() && 'needs two connections' }, async t => {
    const id = await create('Contended', [])
    let release: () => void = () => {}
    const held = new Promise<void>(resolve => { release = resolve })
    let locked: () => void = () => {}
    const isLocked = new Promise<void>(resolve => { locked = resolve })
    // Another writer: locks the group, adds `d`, bumps the version, and commits only when told.
    const holder = db.transaction().execute(async trx => {
      await sql`select 1 from groups where id = ${id}::uuid for update`.execute(trx)
      await sql`insert into group_members (organization_id, group_id, user_id) values (${org}::uuid, ${id}::uuid, ${d}::uuid)`.execute(trx)
      await sql`update groups set version = version + 1 where id = ${id}::uuid`.execute(trx)
      locked()
      await held
    })
    await isLocked
    const remove = scim('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: `members[value eq "${d}"]` }))
    // Wait until the PATCH is blocked on the row lock, then let the holder commit.
    for (let i = 0; i < 100; i++) {
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db)
      if ((waiting.rows[0]?.n ?? 0) > 0) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    release()
    await holder
    const res = await remove
    t.equal(res.status, 204)
    t.same(await memberIds(db, id), [], 'the committed member was removed')
    t.equal(res.headers.etag, 'W/"3"', 'the holder\'s version and then this change')
  })
})
