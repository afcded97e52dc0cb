/** POST /Bulk through HTTP, with Users: envelope, limits, every method, version as If-Match, failOnErrors. */
import { sql } from 'kysely'
import { Readable } from 'node:stream'
import t from 'tap'
import { build } from '../helpers/app.js'

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'
const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }

const newUser = (bulkId: string, userName = `${bulkId}@example.com`) =>
  ({ method: 'POST', path: '/Users', bulkId, data: { schemas: [USER_URN], userName } })

t.test('POST /Bulk with Users', async t => {
  const { app, auth, db, tokenFor } = await build(t, { BULK_MAX_OPERATIONS: '5', BULK_MAX_PAYLOAD_BYTES: '4096' })
  const headers = { ...auth, ...JSON_TYPE }
  const bulk = async (Operations: unknown[], extra: Record<string, unknown> = {}, h: Record<string, string> = headers) =>
    await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers: h, payload: { schemas: [BULK_REQUEST], Operations, ...extra } })
  const userCount = async () => (await db.selectFrom('users').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n

  t.test('creates, replaces, patches and deletes; each result has status, location and version', async t => {
    const created = await bulk([newUser('ada'), newUser('bob')])
    t.equal(created.statusCode, 200, created.body)
    t.match(created.headers['content-type'], /application\/scim\+json/)
    const body = created.json()
    t.same(body.schemas, [BULK_RESPONSE])
    t.match(body.Operations, [
      { method: 'POST', bulkId: 'ada', status: '201', version: 'W/"1"', location: /^http:\/\/localhost:80\/scim\/v2\/Users\/[0-9a-f-]{36}$/ },
      { method: 'POST', bulkId: 'bob', status: '201', version: 'W/"1"' }
    ])
    t.notOk('response' in body.Operations[0], 'success carries no response body')
    const [ada, bob] = body.Operations.map((op: { location: string }) => op.location.split('/').pop())

    const changed = await bulk([
      { method: 'PUT', path: `/Users/${ada}`, version: 'W/"1"', data: { schemas: [USER_URN], userName: 'ada@example.com', displayName: 'Ada L.' } },
      { method: 'PATCH', path: `/Users/${bob}`, data: { schemas: [PATCH_URN], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } }
    ])
    t.match(changed.json().Operations, [
      { method: 'PUT', status: '200', version: 'W/"2"', location: `http://localhost:80/scim/v2/Users/${ada}` },
      { method: 'PATCH', status: '200', version: 'W/"2"', location: `http://localhost:80/scim/v2/Users/${bob}` }
    ])
    const adaNow = (await app.inject({ method: 'GET', url: `/scim/v2/Users/${ada}`, headers: auth })).json()
    t.equal(adaNow.displayName, 'Ada L.')
    const bobNow = (await app.inject({ method: 'GET', url: `/scim/v2/Users/${bob}`, headers: auth })).json()
    t.equal(bobNow.active, false)

    const deleted = await bulk([{ method: 'DELETE', path: `/Users/${bob}` }, { method: 'DELETE', path: `/Users/${bob}` }])
    t.match(deleted.json().Operations, [
      { method: 'DELETE', status: '204', location: `http://localhost:80/scim/v2/Users/${bob}` },
      { method: 'DELETE', status: '404', location: `http://localhost:80/scim/v2/Users/${bob}`, response: { schemas: [ERROR_URN], status: '404' } }
    ])
    t.equal((await app.inject({ method: 'GET', url: `/scim/v2/Users/${bob}`, headers: auth })).statusCode, 404)
  })

  t.test('version is If-Match: a stale version is 412 and changes nothing', async t => {
    const created = (await bulk([newUser('vera')])).json()
    const id = created.Operations[0].location.split('/').pop()
    const stale = await bulk([{ method: 'PUT', path: `/Users/${id}`, version: 'W/"7"', data: { schemas: [USER_URN], userName: 'vera@example.com', displayName: 'X' } }])
    t.match(stale.json().Operations, [{ method: 'PUT', status: '412', response: { schemas: [ERROR_URN], status: '412' } }])
    const user = (await app.inject({ method: 'GET', url: `/scim/v2/Users/${id}`, headers: auth })).json()
    t.notOk('displayName' in user)
    t.equal(user.meta.version, 'W/"1"')
  })

  t.test('a bulkId in a path refers to the user created in the same request, even later in it', async t => {
    const res = await bulk([
      { method: 'PATCH', path: '/Users/bulkId:late', data: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'Late Bloomer' }] } },
      newUser('late')
    ])
    const [patch, post] = res.json().Operations
    t.match(post, { bulkId: 'late', status: '201' })
    t.match(patch, { method: 'PATCH', status: '200', location: post.location, version: 'W/"2"' })
    const user = (await app.inject({ method: 'GET', url: post.location.replace('http://localhost:80', ''), headers: auth })).json()
    t.equal(user.displayName, 'Late Bloomer')
  })

  t.test('each operation stands alone: a failure does not undo the others', async t => {
    const before = await userCount()
    const res = await bulk([newUser('carl'), newUser('carl2', 'CARL@example.com'), { method: 'GET', path: '/Users' }, { method: 'DELETE', path: '/Bulk' }])
    t.match(res.json().Operations, [
      { bulkId: 'carl', status: '201' },
      { bulkId: 'carl2', status: '409', response: { scimType: 'uniqueness' } },
      { method: 'GET', status: '400', response: { scimType: 'invalidValue' } },
      { method: 'DELETE', status: '404' }
    ])
    t.notOk('location' in res.json().Operations[1], 'a failed POST has no location')
    t.equal(await userCount(), before + 1)
  })

  t.test('failOnErrors stops after that many errors; later operations are neither run nor reported', async t => {
    const before = await userCount()
    const res = await bulk([newUser('dup1', 'carl@example.com'), newUser('dan'), newUser('dup2', 'carl@example.com'), newUser('eve')], { failOnErrors: 2 })
    t.same(res.json().Operations.map((op: { bulkId: string, status: string }) => `${op.bulkId} ${op.status}`), ['dup1 409', 'dan 201', 'dup2 409'])
    t.equal(await userCount(), before + 1, 'eve was not created')
  })

  t.test('operations run as the caller: another organization\'s users are not found', async t => {
    const other = await tokenFor('globex')
    const mine = (await bulk([newUser('mine')])).json().Operations[0].location.split('/').pop()
    const res = await bulk([{ method: 'DELETE', path: `/Users/${mine}` }], {}, { ...other, ...JSON_TYPE })
    t.match(res.json().Operations, [{ status: '404' }])
    t.equal((await app.inject({ method: 'GET', url: `/scim/v2/Users/${mine}`, headers: auth })).statusCode, 200)
  })

  t.test('limits: more than maxOperations is 413 tooMany; a body over maxPayloadSize is 413 tooLarge', async t => {
    const before = await userCount()
    const many = await bulk(Array.from({ length: 6 }, (_, i) => newUser(`many${i}`)))
    t.equal(many.statusCode, 413)
    t.match(many.json(), { schemas: [ERROR_URN], status: '413', scimType: 'tooMany', detail: /maxOperations is 5/ })
    const large = await bulk([{ ...newUser('big'), data: { schemas: [USER_URN], userName: 'big@example.com', displayName: 'x'.repeat(5000) } }])
    t.equal(large.statusCode, 413)
    t.match(large.json(), { schemas: [ERROR_URN], status: '413', scimType: 'tooLarge', detail: /maxPayloadSize \(4096 bytes\)/ })
    t.equal(await userCount(), before, 'nothing was created')
    // Without Content-Length (chunked), the route's bodyLimit answers the same.
    const chunked = await app.inject({
      method: 'POST', url: '/scim/v2/Bulk', headers,
      payload: Readable.from([JSON.stringify({ schemas: [BULK_REQUEST], Operations: [newUser('chunked')], pad: 'x'.repeat(5000) })])
    })
    t.equal(chunked.statusCode, 413)
    t.match(chunked.json(), { status: '413', scimType: 'tooLarge', detail: /maxPayloadSize \(4096 bytes\)/ })
    const five = await bulk(Array.from({ length: 5 }, (_, i) => newUser(`five${i}`)))
    t.equal(five.statusCode, 200, 'exactly maxOperations is fine')
  })

  t.test('a broken envelope is 400 invalidSyntax; no token is 401', async t => {
    const noSchemas = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers, payload: { Operations: [] } })
    t.equal(noSchemas.statusCode, 400)
    t.match(noSchemas.json(), { status: '400', scimType: 'invalidSyntax', detail: /BulkRequest/ })
    const notJson = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers, payload: '{"schemas":' })
    t.match(notJson.json(), { status: '400', scimType: 'invalidSyntax' })
    const noAuth = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers: JSON_TYPE, payload: { schemas: [BULK_REQUEST], Operations: [] } })
    t.equal(noAuth.statusCode, 401)
    const empty = await bulk([])
    t.same(empty.json(), { schemas: [BULK_RESPONSE], Operations: [] })
  })
})
