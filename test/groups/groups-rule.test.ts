/**
 * The product's membership rule (CLIENTS.md "The membership rule"): only customer users of the
 * same organization can be members. Any other id in a POST, PUT or PATCH makes the whole
 * request 400 invalidValue naming exactly the offending ids, and nothing is applied.
 */
import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { insertUsers, memberIds, organizationId, patchBody, scimClient, sorted } from './group-helpers.js'

t.test('only customers of the organization can be members', async t => {
  const { app, db, auth, tokenFor } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [c1, c2, c3] = await insertUsers(db, org, 3) as [string, string, string]
  const [admin] = await insertUsers(db, org, 1, { userType: 'administrator' }) as [string]
  const otherScim = scimClient(app, await tokenFor('globex'))
  const [foreign] = await insertUsers(db, await organizationId(db, 'globex'), 1) as [string]
  const foreignGroup = (await otherScim('POST', '/Groups', { displayName: 'Foreign' })).body.id as string
  const ownGroup = (await scim('POST', '/Groups', { displayName: 'Own other group' })).body.id as string
  const unknown = '0b7e2a3c-1111-4222-8333-444455556666'

  const offenders: Array<[string, string]> = [
    ['an administrator', admin],
    ['an unknown id', unknown],
    ['a user of another organization', foreign],
    ['a group of this organization', ownGroup],
    ['a group of another organization', foreignGroup],
    ['a string that is not an id', 'bjensen'],
    ['an upper-case spelling of an administrator id', admin.toUpperCase()]
  ]

  /** 400 invalidValue whose detail names `bad` and none of `good`. */
  const expectRefused = (t: Test, res: { status: number, body: { scimType?: string, detail?: string } }, bad: string[], good: string[]) => {
    t.equal(res.status, 400)
    t.equal(res.body.scimType, 'invalidValue')
    for (const id of bad) t.match(res.body.detail, id, `names ${id}`)
    for (const id of good) t.notMatch(res.body.detail, id, `does not name ${id}`)
  }

  let n = 0
  const newGroup = async (members: string[]) => {
    const res = await scim('POST', '/Groups', { displayName: `Rule ${++n}`, members: members.map(value => ({ value })) })
    t.equal(res.status, 201)
    return res.body.id as string
  }

  t.test('customers are accepted everywhere', async t => {
    const id = await newGroup([c1])
    t.equal((await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [{ value: c2 }] }))).status, 204)
    t.equal((await scim('PUT', `/Groups/${id}`, { displayName: `Rule ${n}`, members: [{ value: c2 }, { value: c3 }] })).status, 200)
    t.same(await memberIds(db, id), sorted([c2, c3]))
  })

  for (const [label, bad] of offenders) {
    t.test(`${label} is refused in POST, PUT, PATCH add/replace/path-less, mixed with customers`, async t => {
      const before = await db.selectFrom('groups').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      expectRefused(t, await scim('POST', '/Groups', { displayName: `Refused ${label}`, members: [{ value: c1 }, { value: bad }] }), [bad], [c1])
      const after = await db.selectFrom('groups').select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      t.equal(Number(after.n), Number(before.n), 'POST created no group')

      const id = await newGroup([c1])
      const name = `Rule ${n}`
      expectRefused(t, await scim('PUT', `/Groups/${id}`, { displayName: 'Renamed by PUT', members: [{ value: c2 }, { value: bad }] }), [bad], [c2])
      expectRefused(t, await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'Add', path: 'members', value: [{ value: c2 }, { value: bad }] })), [bad], [c2])
      expectRefused(t, await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: 'members', value: [{ value: bad }, { value: c3 }] })), [bad], [c3])
      expectRefused(t, await scim('PATCH', `/Groups/${id}`, patchBody(
        { op: 'replace', path: 'displayName', value: 'Renamed by PATCH' },
        { op: 'remove', path: 'members' },
        { op: 'add', value: { members: [{ value: c2 }, { value: bad }] } })), [bad], [c2])
      const current = await scim('GET', `/Groups/${id}`)
      t.equal(current.body.displayName, name, 'nothing of the request was applied')
      t.equal(current.headers.etag, 'W/"1"')
      t.same(await memberIds(db, id), [c1])
    })
  }

  t.test('a mixed list names every offender and only them', async t => {
    const id = await newGroup([])
    const bad = [admin, unknown, foreign, ownGroup, 'bjensen']
    const res = await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'add', path: 'members', value: [c1, ...bad, c2].map(value => ({ value })) }))
    expectRefused(t, res, bad, [c1, c2])
    t.same(await memberIds(db, id), [])
  })

  t.test('removing a non-customer id is harmless (it cannot be a member)', async t => {
    const id = await newGroup([c1])
    t.equal((await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'remove', path: 'members', value: [{ value: admin }, { value: 'bjensen' }] }))).status, 204)
    t.same(await memberIds(db, id), [c1])
  })

  t.test('a member cannot be turned into an administrator through /Users', async t => {
    const id = await newGroup([c3])
    const res = await scim('PATCH', `/Users/${c3}`, patchBody({ op: 'replace', path: 'userType', value: 'administrator' }))
    t.equal(res.status, 400)
    t.same(await memberIds(db, id), [c3])
  })
})

t.test('a member who stops being a customer between the check and the insert: 400, never 500', async t => {
  const { app, db, auth } = await build(t)
  const scim = scimClient(app, auth)
  const [ann, bob] = await insertUsers(db, await organizationId(db), 2) as [string, string]
  const id = (await scim('POST', '/Groups', { displayName: 'Backstop', members: [{ value: ann }] })).body.id as string
  // Deterministic stand-in for the race: the user is demoted after our check passed, right
  // before the row is written, so only the foreign key of migration 0002 can refuse it.
  await sql`create function demote_on_join () returns trigger language plpgsql as $$
    begin update users set user_type = 'administrator' where id = new.user_id; return new; end $$`.execute(db)
  await sql`create trigger demote_on_join before insert on group_members for each row execute function demote_on_join()`.execute(db)
  const res = await scim('PATCH', `/Groups/${id}`, patchBody({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'add', path: 'members', value: [{ value: bob }] }))
  t.equal(res.status, 400)
  t.equal(res.body.scimType, 'invalidValue')
  t.match(res.body.detail, /customer/)
  const group = await scim('GET', `/Groups/${id}`)
  t.equal(group.body.displayName, 'Backstop', 'nothing of the request was applied')
  t.same(group.body.members.map((m: { value: string }) => m.value), [ann])
  const posted = await scim('POST', '/Groups', { displayName: 'Backstop 2', members: [{ value: bob }] })
  t.equal(posted.status, 400, 'POST too')
})
