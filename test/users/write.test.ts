import t from 'tap'
import { build } from '../helpers/app.js'

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }

t.test('/Users PUT, PATCH, ETags, userType rule, groups', async t => {
  const { app, auth, db } = await build(t)
  const headers = { ...auth, ...JSON_TYPE }
  const create = async (body: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers, payload: body })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json()
  }
  const get = async (id: string, extra: Record<string, string> = {}) =>
    await app.inject({ method: 'GET', url: `/scim/v2/Users/${id}`, headers: { ...auth, ...extra } })
  const patch = async (id: string, operations: unknown[], extra: Record<string, string> = {}, query = '') =>
    await app.inject({ method: 'PATCH', url: `/scim/v2/Users/${id}${query}`, headers: { ...headers, ...extra }, payload: { schemas: [PATCH_URN], Operations: operations } })
  const put = async (id: string, body: unknown, extra: Record<string, string> = {}) =>
    await app.inject({ method: 'PUT', url: `/scim/v2/Users/${id}`, headers: { ...headers, ...extra }, payload: body as Record<string, unknown> })
  const organizationId = (await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id
  const addGroup = async (displayName: string, userIds: string[]) => {
    const group = await db.insertInto('groups').values({ organization_id: organizationId, display_name: displayName, attributes: '{}' }).returning('id').executeTakeFirstOrThrow()
    for (const userId of userIds) await db.insertInto('group_members').values({ organization_id: organizationId, group_id: group.id, user_id: userId }).execute()
    return group.id
  }

  t.test('Okta PUT of our own GET body plus changes: id, meta, groups, password ignored; version bumps', async t => {
    const user = await create({ userName: 'okta.put@example.com', name: { givenName: 'Old' }, active: true })
    const groupId = await addGroup('Okta PUT group', [user.id])
    const current = (await get(user.id)).json()
    const body = { ...current, name: { givenName: 'New' }, title: 'Boss', password: 'p4ss', meta: { ...current.meta, created: '2024-01-01 10:00:00', lastModified: 'Tue, 02 Jan 2024' } }
    delete body.active // an omitted active keeps the user active
    const res = await put(user.id, body)
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.headers.etag, 'W/"2"')
    t.match(res.json(), { id: user.id, name: { givenName: 'New' }, title: 'Boss', active: true, meta: { version: 'W/"2"', created: user.meta.created } })
    t.same(res.json().groups, [{ value: groupId, $ref: `http://localhost:80/scim/v2/Groups/${groupId}`, display: 'Okta PUT group', type: 'direct' }])
    t.notOk('password' in res.json())
    t.ok(Date.parse(res.json().meta.lastModified) > Date.parse(user.meta.lastModified), 'lastModified moves')
  })

  t.test('PUT is a full replace: attributes not sent are gone', async t => {
    const user = await create({ userName: 'replace@example.com', title: 'T', nickName: 'N', active: false })
    const res = await put(user.id, { schemas: [USER_URN], userName: 'replace@example.com', title: 'T2' })
    t.equal(res.statusCode, 200)
    t.equal(res.json().title, 'T2')
    t.notOk('nickName' in res.json())
    t.equal(res.json().active, false, 'omitted active keeps the current value (inactive stays inactive)')
    t.equal((await put(user.id, { userName: 'replace@example.com', active: 'True' })).json().active, true)
  })

  t.test('PATCH forms of Entra and Okta; 200 with the resource', async t => {
    const user = await create({ userName: 'patch@example.com', emails: [{ value: 'home@example.com', type: 'home' }] })
    let res = await patch(user.id, [
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'work@example.com' },
      { op: 'Replace', path: 'name.familyName', value: 'Hopper' },
      { op: 'replace', path: `${ENTERPRISE_URN}:department`, value: 'Navy' },
      { op: 'add', value: { 'name.givenName': 'Grace', [`${ENTERPRISE_URN}:employeeNumber`]: '1906', id: user.id } },
      { op: 'Replace', path: `${ENTERPRISE_URN}:manager`, value: '271' }
    ])
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.headers.etag, 'W/"2"')
    t.match(res.json(), {
      name: { familyName: 'Hopper', givenName: 'Grace' },
      emails: [{ value: 'home@example.com', type: 'home' }, { value: 'work@example.com', type: 'work' }],
      [ENTERPRISE_URN]: { department: 'Navy', employeeNumber: '1906', manager: { value: '271' } }
    })
    t.notOk('name.givenName' in res.json(), 'dotted keys are paths, not stored keys')
    res = await patch(user.id, [{ op: 'Replace', path: 'userName', value: 'renamed@example.com' }])
    t.equal(res.json().userName, 'renamed@example.com')
    const stored = await db.selectFrom('users').select(['user_name', 'attributes']).where('id', '=', user.id).executeTakeFirstOrThrow()
    t.equal(stored.user_name, 'renamed@example.com', 'the column follows the PATCH')
    t.equal(stored.attributes.userName, 'renamed@example.com')
  })

  t.test('renaming onto another user\'s userName (any case) is 409 uniqueness, and nothing changes', async t => {
    await create({ userName: 'taken@example.com' })
    const user = await create({ userName: 'free@example.com' })
    const patched = await patch(user.id, [{ op: 'replace', path: 'userName', value: 'TAKEN@example.com' }])
    t.equal(patched.statusCode, 409)
    t.match(patched.json(), { scimType: 'uniqueness' })
    const replaced = await put(user.id, { userName: 'Taken@Example.com' })
    t.equal(replaced.statusCode, 409)
    t.match((await get(user.id)).json(), { userName: 'free@example.com', meta: { version: 'W/"1"' } })
  })

  t.test('deactivation (Entra "False", Okta path-less) keeps memberships; reactivation finds them', async t => {
    const user = await create({ userName: 'deact@example.com' })
    const groupId = await addGroup('Deactivation group', [user.id])
    let res = await patch(user.id, [{ op: 'Replace', path: 'active', value: 'False' }])
    t.equal(res.json().active, false)
    t.equal(res.json().groups[0].value, groupId)
    res = await patch(user.id, [{ op: 'Add', path: 'active', value: 'True' }])
    t.equal(res.json().active, true)
    res = await patch(user.id, [{ op: 'replace', value: { active: false } }])
    t.equal(res.json().active, false)
    t.equal((await get(user.id)).json().groups.length, 1, 'still a member')
    const row = await db.selectFrom('users').select('active').where('id', '=', user.id).executeTakeFirstOrThrow()
    t.equal(row.active, false)
  })

  t.test('PATCH with attributes answers 200 with the projection; PATCH of a readOnly attribute is 400', async t => {
    const user = await create({ userName: 'proj.patch@example.com' })
    const res = await patch(user.id, [{ op: 'replace', path: 'displayName', value: 'D' }], {}, '?attributes=displayName')
    t.equal(res.statusCode, 200)
    t.same(Object.keys(res.json()).sort(), ['displayName', 'id', 'schemas'])
    const bad = await patch(user.id, [{ op: 'replace', path: 'groups', value: [] }])
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { scimType: 'mutability' })
    t.equal((await get(user.id)).headers.etag, 'W/"2"', 'a failed PATCH changes nothing')
  })

  t.test('PATCH password sets a new hash; PUT password is ignored', async t => {
    const user = await create({ userName: 'pw@example.com', password: 'first' })
    const hashOf = async () => (await db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()).password_hash
    const first = await hashOf()
    const res = await patch(user.id, [{ op: 'replace', path: 'password', value: 'second' }])
    t.equal(res.statusCode, 200)
    t.notOk('password' in res.json())
    const second = await hashOf()
    t.not(second, first)
    await put(user.id, { userName: 'pw@example.com', password: 'third' })
    t.equal(await hashOf(), second)
  })

  t.test('If-Match: 412 on a stale version for PUT, PATCH, DELETE; the current version works', async t => {
    const user = await create({ userName: 'etag@example.com' })
    await patch(user.id, [{ op: 'replace', path: 'title', value: 'v2' }])
    for (const tag of ['W/"1"', '"1"', 'W/"abc"', '"xyz"']) {
      t.equal((await patch(user.id, [{ op: 'replace', path: 'title', value: 'no' }], { 'if-match': tag })).statusCode, 412, `PATCH ${tag}`)
      t.equal((await put(user.id, { userName: 'etag@example.com' }, { 'if-match': tag })).statusCode, 412, `PUT ${tag}`)
      t.equal((await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${user.id}`, headers: { ...auth, 'if-match': tag } })).statusCode, 412, `DELETE ${tag}`)
    }
    const current = await get(user.id)
    t.equal(current.json().title, 'v2', 'nothing changed')
    t.equal(current.headers.etag, 'W/"2"')
    const ok = await patch(user.id, [{ op: 'replace', path: 'title', value: 'v3' }], { 'if-match': 'W/"2"' })
    t.equal(ok.statusCode, 200)
    t.equal((await put(user.id, { userName: 'etag@example.com' }, { 'if-match': '*' })).statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${user.id}`, headers: { ...auth, 'if-match': 'W/"4"' } })).statusCode, 204)
  })

  t.test('If-Match under concurrency: two PATCHes with the same version, exactly one wins', async t => {
    const user = await create({ userName: 'race.etag@example.com' })
    const results = await Promise.all([1, 2, 3, 4].map(i => patch(user.id, [{ op: 'replace', path: 'title', value: `t${i}` }], { 'if-match': 'W/"1"' })))
    t.same(results.map(r => r.statusCode).sort(), [200, 412, 412, 412])
    t.equal((await get(user.id)).headers.etag, 'W/"2"')
  })

  t.test('concurrent PATCHes without If-Match: none lost, each its own version and event', async t => {
    const user = await create({ userName: 'race.merge@example.com' })
    const writers = 16
    const results = await Promise.all(Array.from({ length: writers }, async (_, i) =>
      await patch(user.id, [{ op: 'add', path: 'emails', value: [{ value: `m${i}@example.com`, type: 'other' }] }])))
    t.same(results.map(r => r.statusCode), Array(writers).fill(200))
    const final = (await get(user.id)).json()
    t.same(new Set(final.emails.map((e: { value: string }) => e.value)), new Set(Array.from({ length: writers }, (_, i) => `m${i}@example.com`)),
      'every PATCH applied to what the one before it wrote')
    t.equal(final.meta.version, `W/"${writers + 1}"`)
    t.same(new Set(results.map(r => r.headers.etag)).size, writers, 'each answered its own version')
    const events = await app.inject({ method: 'GET', url: `/api/v1/events?resourceId=${user.id}`, headers: auth })
    t.same(events.json().events.map((e: { version: string }) => e.version), Array.from({ length: writers + 1 }, (_, i) => `W/"${i + 1}"`),
      'one event per write, in version order')
  })

  t.test('If-None-Match on GET: 304 when current, 200 when stale', async t => {
    const user = await create({ userName: 'inm@example.com' })
    const notModified = await get(user.id, { 'if-none-match': 'W/"1"' })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.body, '')
    t.equal(notModified.headers.etag, 'W/"1"')
    await patch(user.id, [{ op: 'replace', path: 'title', value: 'x' }])
    t.equal((await get(user.id, { 'if-none-match': 'W/"1"' })).statusCode, 200)
  })

  t.test('userType: changing a member away from customer is 400 naming the group count; nothing changes', async t => {
    const user = await create({ userName: 'member@example.com' })
    await addGroup('Type group A', [user.id])
    await addGroup('Type group B', [user.id])
    for (const res of [
      await patch(user.id, [{ op: 'replace', path: 'userType', value: 'administrator' }, { op: 'replace', path: 'title', value: 'changed' }]),
      await put(user.id, { userName: 'member@example.com', userType: 'collaborator', title: 'changed' })
    ]) {
      t.equal(res.statusCode, 400)
      t.match(res.json(), { scimType: 'invalidValue', detail: /member of 2 groups/ })
    }
    const after = (await get(user.id)).json()
    t.match(after, { userType: 'customer', meta: { version: 'W/"1"' } })
    t.notOk('title' in after)
    t.equal(after.groups.length, 2)
  })

  t.test('userType: a non-member may change; a PUT without userType keeps it', async t => {
    const user = await create({ userName: 'admin@example.com', userType: 'administrator' })
    t.equal(user.userType, 'administrator')
    t.equal((await put(user.id, { userName: 'admin@example.com', title: 'x' })).json().userType, 'administrator')
    t.equal((await patch(user.id, [{ op: 'replace', path: 'userType', value: 'customer' }])).json().userType, 'customer')
    const plain = await create({ userName: 'plain@example.com' })
    t.equal((await patch(plain.id, [{ op: 'replace', path: 'userType', value: 'collaborator' }])).json().userType, 'collaborator')
  })

  t.test('userType is case-insensitive: "Customer" is stored as customer and may join groups; "ADMINISTRATOR" counts as a change', async t => {
    const user = await create({ userName: 'casetype@example.com', userType: 'Customer' })
    t.equal(user.userType, 'customer')
    await addGroup('Case group', [user.id])
    const res = await patch(user.id, [{ op: 'replace', path: 'userType', value: 'ADMINISTRATOR' }])
    t.equal(res.statusCode, 400)
    t.match(res.json(), { detail: /member of 1 group\b/ })
    t.equal((await patch(user.id, [{ op: 'replace', path: 'userType', value: 'CUSTOMER' }])).json().userType, 'customer')
  })

  t.test('the foreign key refuses the change even when the service check is bypassed (race backstop)', async t => {
    const user = await create({ userName: 'fk@example.com' })
    await addGroup('FK group', [user.id])
    const error = await db.updateTable('users').set({ user_type: 'administrator' }).where('id', '=', user.id).execute()
      .then(() => undefined, (e: unknown) => e)
    t.match(error, { constraint: 'group_members__user_id__fkey' })
  })

  t.test('DELETE removes memberships by cascade, not the group', async t => {
    const user = await create({ userName: 'cascade@example.com' })
    const groupId = await addGroup('Cascade group', [user.id])
    t.equal((await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${user.id}`, headers: auth })).statusCode, 204)
    const rows = await db.selectFrom('group_members').selectAll().where('user_id', '=', user.id).execute()
    t.same(rows, [])
    t.ok(await db.selectFrom('groups').select('id').where('id', '=', groupId).executeTakeFirst())
  })

  t.test('groups are readOnly on input and can be left out with excludedAttributes', async t => {
    const user = await create({ userName: 'ro@example.com', groups: [{ value: '00000000-0000-4000-8000-000000000000' }] })
    t.same(user.groups, [])
    await addGroup('RO group', [user.id])
    const res = await get(user.id + '?excludedAttributes=groups')
    t.notOk('groups' in res.json())
  })
})
