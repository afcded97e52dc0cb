/**
 * /Groups CRUD through HTTP (RFC 7644 §3.3–§3.6, CLIENTS.md "Groups"): create, read, replace,
 * delete, uniqueness of displayName, ETags and If-Match.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { GROUP_URN, insertUsers, memberIds, organizationId, scimClient, sorted } from './group-helpers.js'

const ENTRA_GROUP_URN = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'

t.test('groups CRUD', async t => {
  const { app, db, auth, tokenFor } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [ann, bob, cid] = await insertUsers(db, org, 3) as [string, string, string]
  const [noDisplay] = await insertUsers(db, org, 1, { displayName: false }) as [string]

  t.test('POST creates an empty group: 201, members [], Location, ETag, meta', async t => {
    const res = await scim('POST', '/Groups', {
      schemas: [GROUP_URN, ENTRA_GROUP_URN],
      displayName: 'Sales Team EMEA',
      externalId: 'ext-1',
      meta: { resourceType: 'Group' }
    })
    t.equal(res.status, 201)
    t.match(res.headers['content-type'], /^application\/scim\+json/)
    t.equal(res.headers.location, `http://localhost:80/scim/v2/Groups/${res.body.id}`)
    t.equal(res.headers.etag, 'W/"1"')
    t.match(res.body, {
      schemas: [GROUP_URN],
      id: /^[0-9a-f-]{36}$/,
      displayName: 'Sales Team EMEA',
      externalId: 'ext-1',
      members: [],
      meta: { resourceType: 'Group', location: res.headers.location, version: 'W/"1"', created: String, lastModified: String }
    })
    const fetched = await scim('GET', `/Groups/${res.body.id}`)
    t.equal(fetched.status, 200)
    t.same(fetched.body, res.body, 'GET shows what POST answered')
  })

  t.test('POST with members shows value, display (displayName else userName), $ref, type', async t => {
    const res = await scim('POST', '/Groups', {
      schemas: [GROUP_URN],
      displayName: 'With members',
      members: [{ value: ann, display: 'ignored', $ref: null }, { value: noDisplay, type: 'User' }]
    })
    t.equal(res.status, 201)
    const userName = (await db.selectFrom('users').select('user_name').where('id', '=', noDisplay).executeTakeFirstOrThrow()).user_name
    const byValue = new Map<string, unknown>(res.body.members.map((m: { value: string }) => [m.value, m]))
    t.same(byValue.get(ann), { value: ann, display: 'User 1', $ref: `http://localhost:80/scim/v2/Users/${ann}`, type: 'User' })
    t.same(byValue.get(noDisplay), { value: noDisplay, display: userName, $ref: `http://localhost:80/scim/v2/Users/${noDisplay}`, type: 'User' })
    t.same(await memberIds(db, res.body.id), sorted([ann, noDisplay]))
  })

  t.test('displayName is required', async t => {
    for (const body of [{ schemas: [GROUP_URN] }, { schemas: [GROUP_URN], displayName: '' }]) {
      const res = await scim('POST', '/Groups', body)
      t.equal(res.status, 400)
      t.equal(res.body.scimType, 'invalidValue')
    }
  })

  t.test('displayName is unique per organization, case-insensitively; externalId is not', async t => {
    const first = await scim('POST', '/Groups', { displayName: 'Unique Name', externalId: 'same' })
    t.equal(first.status, 201)
    const clash = await scim('POST', '/Groups', { displayName: 'UNIQUE name', externalId: 'other' })
    t.equal(clash.status, 409)
    t.equal(clash.body.scimType, 'uniqueness')
    t.equal(clash.body.status, '409')
    const sameExternal = await scim('POST', '/Groups', { displayName: 'Another', externalId: 'same' })
    t.equal(sameExternal.status, 201)
    const otherOrg = scimClient(app, await tokenFor('globex'))
    t.equal((await otherOrg('POST', '/Groups', { displayName: 'Unique Name' })).status, 201, 'another organization may use the name')
  })

  t.test('concurrent creates of one name: exactly one wins, the others get 409', async t => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      scim('POST', '/Groups', { displayName: i % 2 === 0 ? 'Race Group' : 'race group' })))
    t.same(results.map(r => r.status).sort(), [201, ...Array(11).fill(409)])
    const count = await db.selectFrom('groups').select(db.fn.countAll<number>().as('n'))
      .where(eb => eb(eb.fn('lower', ['display_name']), '=', 'race group')).executeTakeFirstOrThrow()
    t.equal(Number(count.n), 1)
  })

  t.test('a rename into a taken name is 409 and changes nothing', async t => {
    const a = await scim('POST', '/Groups', { displayName: 'Rename A' })
    await scim('POST', '/Groups', { displayName: 'Rename B' })
    const res = await scim('PUT', `/Groups/${a.body.id}`, { displayName: 'rename b' })
    t.equal(res.status, 409)
    t.equal((await scim('GET', `/Groups/${a.body.id}`)).body.displayName, 'Rename A')
  })

  t.test('GET of an unknown, malformed or foreign id is 404', async t => {
    const foreign = await scimClient(app, await tokenFor('initech'))('POST', '/Groups', { displayName: 'Theirs' })
    for (const id of ['6f1c7a5e-0000-4000-8000-000000000000', 'not-a-uuid', foreign.body.id]) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const body = method === 'PUT' ? { displayName: 'x' } : method === 'PATCH' ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] } : undefined
        const res = await scim(method, `/Groups/${id}`, body)
        t.equal(res.status, 404, `${method} ${id}`)
        t.equal(res.body.status, '404')
      }
    }
  })

  t.test('PUT replaces displayName, externalId and the exact member list', async t => {
    const created = await scim('POST', '/Groups', { displayName: 'Put me', externalId: 'e1', members: [{ value: ann }, { value: bob }] })
    const res = await scim('PUT', `/Groups/${created.body.id}`, {
      schemas: [GROUP_URN], id: created.body.id, displayName: 'Put me renamed', members: [{ value: bob }, { value: cid }], meta: created.body.meta
    })
    t.equal(res.status, 200)
    t.equal(res.headers.etag, 'W/"2"')
    t.equal(res.body.displayName, 'Put me renamed')
    t.notOk('externalId' in res.body, 'an omitted externalId is cleared')
    t.same(sorted(res.body.members.map((m: { value: string }) => m.value)), sorted([bob, cid]))
    t.same(await memberIds(db, created.body.id), sorted([bob, cid]))
  })

  t.test('PUT with members [] empties; PUT without members keeps them', async t => {
    const created = await scim('POST', '/Groups', { displayName: 'Put keep', members: [{ value: ann }] })
    const kept = await scim('PUT', `/Groups/${created.body.id}`, { displayName: 'Put keep 2' })
    t.equal(kept.status, 200)
    t.same(await memberIds(db, created.body.id), [ann])
    const emptied = await scim('PUT', `/Groups/${created.body.id}`, { displayName: 'Put keep 3', members: [] })
    t.same(emptied.body.members, [])
    t.same(await memberIds(db, created.body.id), [])
  })

  t.test('DELETE removes the group and its memberships; users stay', async t => {
    const created = await scim('POST', '/Groups', { displayName: 'Delete me', members: [{ value: ann }, { value: bob }] })
    const res = await scim('DELETE', `/Groups/${created.body.id}`, undefined, { 'content-type': 'application/scim+json' })
    t.equal(res.status, 204)
    t.equal(res.text, '')
    t.equal((await scim('GET', `/Groups/${created.body.id}`)).status, 404)
    t.same(await memberIds(db, created.body.id), [])
    const users = await db.selectFrom('users').select('id').where('id', 'in', [ann, bob]).execute()
    t.equal(users.length, 2, 'the users are still there')
    t.equal((await scim('DELETE', `/Groups/${created.body.id}`)).status, 404, 'a second DELETE is 404')
  })

  t.test('If-Match: a stale ETag is 412 and changes nothing; the current one or * works', async t => {
    const created = await scim('POST', '/Groups', { displayName: 'Etag group' })
    const id = created.body.id
    const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: ann }] }] }
    const ok = await scim('PATCH', `/Groups/${id}`, patch, { 'if-match': 'W/"1"' })
    t.equal(ok.status, 204)
    t.equal(ok.headers.etag, 'W/"2"', 'a membership change bumps the version')
    const stale = await scim('PATCH', `/Groups/${id}`, { ...patch, Operations: [{ op: 'add', path: 'members', value: [{ value: bob }] }] }, { 'if-match': 'W/"1"' })
    t.equal(stale.status, 412)
    t.same(await memberIds(db, id), [ann])
    t.equal((await scim('PUT', `/Groups/${id}`, { displayName: 'x' }, { 'if-match': '"999"' })).status, 412)
    t.equal((await scim('DELETE', `/Groups/${id}`, undefined, { 'if-match': 'W/"1"' })).status, 412)
    t.equal((await scim('PUT', `/Groups/${id}`, { displayName: 'Etag group 2' }, { 'if-match': '*' })).status, 200)
    const current = await scim('GET', `/Groups/${id}`)
    t.equal(current.headers.etag, 'W/"3"')
    t.equal(current.body.meta.version, 'W/"3"')
    const notModified = await scim('GET', `/Groups/${id}`, undefined, { 'if-none-match': 'W/"3"' })
    t.equal(notModified.status, 304)
    t.equal((await scim('DELETE', `/Groups/${id}`, undefined, { 'if-match': 'W/"3"' })).status, 204)
  })

  t.test('JumpCloud connection test: create a user and a group, delete both', async t => {
    const user = await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'jc-test@example.com' })
    t.equal(user.status, 201)
    const group = await scim('POST', '/Groups', { displayName: 'JumpCloud Test', members: [{ value: user.body.id }] })
    t.equal(group.status, 201)
    t.equal((await scim('DELETE', `/Users/${user.body.id}`)).status, 204)
    t.same((await scim('GET', `/Groups/${group.body.id}`)).body.members, [], 'a deleted user leaves its groups')
    t.equal((await scim('DELETE', `/Groups/${group.body.id}`)).status, 204)
  })
})
