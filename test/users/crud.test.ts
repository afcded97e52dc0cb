import t from 'tap'
import { build } from '../helpers/app.js'

const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }

t.test('/Users CRUD', async t => {
  const { app, auth, db, tokenFor } = await build(t)
  const headers = { ...auth, ...JSON_TYPE }
  const post = async (body: Record<string, unknown>, h: Record<string, string> = headers) =>
    await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: h, payload: body })

  t.test('POST creates: 201, Location, ETag, meta, userType customer, active true, password never returned', async t => {
    const res = await post({
      schemas: [USER_URN, ENTERPRISE_URN, 'urn:scim:schemas:core:2.0'],
      userName: 'Ada@Example.com',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: { value: 'ada@example.com', type: 'work', primary: 'True' },
      password: 'correct horse battery staple',
      roles: [],
      groups: [],
      locale: 'en-GB',
      meta: { resourceType: 'Nonsense', created: 'yesterday' },
      [ENTERPRISE_URN]: { department: 'Engines', manager: '271' }
    })
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    t.match(body.id, /^[0-9a-f-]{36}$/)
    t.equal(res.headers.location, `http://localhost:80/scim/v2/Users/${body.id}`)
    t.equal(res.headers.etag, 'W/"1"')
    t.match(body, {
      schemas: [USER_URN, ENTERPRISE_URN],
      userName: 'Ada@Example.com',
      userType: 'customer',
      active: true,
      locale: 'en-GB',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      [ENTERPRISE_URN]: { department: 'Engines', manager: { value: '271' } },
      meta: { resourceType: 'User', location: res.headers.location, version: 'W/"1"' }
    })
    t.equal(body.meta.created, body.meta.lastModified)
    t.notOk('password' in body, 'password is never returned')
    const stored = await db.selectFrom('users').select(['password_hash', 'attributes', 'user_name', 'active', 'user_type'])
      .where('id', '=', body.id).executeTakeFirstOrThrow()
    t.match(stored.password_hash, /^scrypt\$/, 'password stored hashed')
    t.notOk(String(stored.password_hash).includes('horse'))
    t.notOk('password' in stored.attributes, 'cleartext password not in attributes')
    t.notOk('id' in stored.attributes || 'meta' in stored.attributes || 'groups' in stored.attributes)
    t.match(stored, { user_name: 'Ada@Example.com', active: true, user_type: 'customer', attributes: { userName: 'Ada@Example.com', active: true, userType: 'customer' } })

    const again = await app.inject({ method: 'GET', url: `/scim/v2/Users/${body.id}`, headers: auth })
    t.equal(again.statusCode, 200)
    t.same(again.json(), body, 'GET returns what POST returned')
    t.equal(again.headers.etag, 'W/"1"')
  })

  t.test('string booleans inside multi-valued attributes; manager as {value}', async t => {
    const res = await post({
      userName: 'roles@example.com',
      active: 'false',
      roles: [{ value: 'admin', primary: 'True' }, { value: 'dev', primary: 'FALSE' }],
      [ENTERPRISE_URN]: { manager: { value: 'b7e1c4a0-0000-4000-8000-000000000001' } }
    })
    t.equal(res.statusCode, 201, res.body)
    t.match(res.json(), {
      active: false,
      roles: [{ value: 'admin', primary: true }, { value: 'dev', primary: false }],
      [ENTERPRISE_URN]: { manager: { value: 'b7e1c4a0-0000-4000-8000-000000000001' } }
    })
  })

  t.test('two users with the same password get different hashes (random salt)', async t => {
    const a = (await post({ userName: 'salt-a', password: 'same' })).json()
    const b = (await post({ userName: 'salt-b', password: 'same' })).json()
    const rows = await db.selectFrom('users').select('password_hash').where('id', 'in', [a.id, b.id]).execute()
    t.equal(rows.length, 2)
    t.not(rows[0]?.password_hash, rows[1]?.password_hash)
  })

  t.test('duplicate userName, case-insensitively, is 409 uniqueness', async t => {
    t.equal((await post({ userName: 'dup@example.com' })).statusCode, 201)
    const res = await post({ userName: 'DUP@example.COM' })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { schemas: [ERROR_URN], status: '409', scimType: 'uniqueness' })
  })

  t.test('ten concurrent creates of one userName: exactly one 201, nine 409', async t => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => post({ userName: i % 2 === 0 ? 'race@example.com' : 'RACE@example.com' })))
    const codes = results.map(r => r.statusCode).sort()
    t.same(codes, [201, 409, 409, 409, 409, 409, 409, 409, 409, 409])
  })

  t.test('the same userName in another organization is fine', async t => {
    t.equal((await post({ userName: 'shared@example.com' })).statusCode, 201)
    const other = await tokenFor('globex')
    t.equal((await post({ userName: 'shared@example.com' }, { ...other, ...JSON_TYPE })).statusCode, 201)
  })

  t.test('missing userName is 400 invalidValue; a bad boolean is 400 invalidValue', async t => {
    t.match((await post({ displayName: 'x' })).json(), { status: '400', scimType: 'invalidValue' })
    t.match((await post({ userName: 'bool', active: 'yes' })).json(), { status: '400', scimType: 'invalidValue' })
  })

  t.test('unknown, non-uuid and other-organization ids are 404 SCIM errors', async t => {
    const created = (await post({ userName: 'mine@example.com' })).json()
    const other = await tokenFor('initech')
    for (const [id, h] of [['4f7d4f1c-0000-4000-8000-000000000000', auth], ['not-a-uuid', auth], [created.id, other]] as const) {
      for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
        const payload = method === 'PUT' ? { userName: 'x' } : method === 'PATCH' ? { schemas: [PATCH_URN], Operations: [] } : undefined
        const res = await app.inject({ method, url: `/scim/v2/Users/${id}`, headers: { ...h, ...JSON_TYPE }, ...(payload ? { payload } : {}) })
        t.equal(res.statusCode, 404, `${method} ${id}`)
        t.match(res.json(), { schemas: [ERROR_URN], status: '404' })
      }
    }
    const still = await app.inject({ method: 'GET', url: `/scim/v2/Users/${created.id}`, headers: auth })
    t.equal(still.json().userName, 'mine@example.com', 'another organization changed nothing')
  })

  t.test('DELETE is 204, then 404; Okta sends a content type with no body', async t => {
    const created = (await post({ userName: 'gone@example.com' })).json()
    const del = await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${created.id}`, headers: headers, payload: '' })
    t.equal(del.statusCode, 204)
    t.equal(del.body, '')
    t.equal((await app.inject({ method: 'GET', url: `/scim/v2/Users/${created.id}`, headers: auth })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/scim/v2/Users/${created.id}`, headers: auth })).statusCode, 404)
  })

  t.test('attributes/excludedAttributes on POST and GET', async t => {
    const created = await app.inject({ method: 'POST', url: '/scim/v2/Users?attributes=userName', headers, payload: { userName: 'proj@example.com', displayName: 'Proj' } })
    t.equal(created.statusCode, 201)
    t.same(Object.keys(created.json()).sort(), ['id', 'schemas', 'userName'])
    const id = created.json().id
    const res = await app.inject({ method: 'GET', url: `/scim/v2/Users/${id}?excludedAttributes=displayName,meta`, headers: auth })
    t.notOk('displayName' in res.json())
    t.notOk('meta' in res.json())
    t.equal(res.json().userName, 'proj@example.com')
  })
})
