/**
 * The documented per-request limits (README "Configuration", OpenAPI maxItems): values per
 * multi-valued attribute and operations per PATCH are refused with 400 naming the limit,
 * before any work is stored; group members are not such an attribute.
 */
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { createServices } from '../../src/services/services.js'
import { build } from '../helpers/app.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const emails = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}@example.com` }))

t.test('the defaults: 100 values, 1000 operations', async t => {
  const { app, auth } = await build(t, { BODY_LIMIT_BYTES: String(4 * 1024 * 1024) })
  const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, body: unknown) =>
    app.inject({ method, url, headers: { ...auth, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) })

  const tooMany = await send('POST', '/scim/v2/Users', { schemas: [USER], userName: 'many@example.com', emails: emails('m', 101) })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json(), { scimType: 'invalidValue', detail: /"emails" would have 101 values; at most 100 .*MAX_MULTI_VALUED_VALUES/ })
  const full = await send('POST', '/scim/v2/Users', { schemas: [USER], userName: 'full@example.com', emails: emails('m', 100) })
  t.equal(full.statusCode, 201, 'exactly the limit is fine')
  const id = full.json().id as string

  const grow = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'one-more@example.com' }] }] })
  t.equal(grow.statusCode, 400, 'a PATCH may not grow a full list')
  t.match(grow.json(), { scimType: 'invalidValue', detail: /MAX_MULTI_VALUED_VALUES/ })
  const same = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: emails('m', 100) }] })
  t.equal(same.statusCode, 200, 'adding values already there adds nothing')
  t.equal(same.json().emails.length, 100)

  const ops = (count: number) => ({ schemas: [PATCH_OP], Operations: Array.from({ length: count }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` })) })
  const over = await send('PATCH', `/scim/v2/Users/${id}`, ops(1001))
  t.equal(over.statusCode, 400)
  t.match(over.json(), { scimType: 'tooMany', detail: /1001 operations; at most 1000 .*PATCH_MAX_OPERATIONS/ })
  const atLimit = await send('PATCH', `/scim/v2/Users/${id}`, ops(1000))
  t.equal(atLimit.statusCode, 200)
  t.equal(atLimit.json().title, 't999')

  const bulk = await send('POST', '/scim/v2/Bulk', { schemas: [BULK], Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: ops(1001) }] })
  t.equal(bulk.statusCode, 200)
  t.match(bulk.json().Operations[0], { status: '400', response: { scimType: 'tooMany' } }, 'a Bulk PATCH obeys the same limit')

  const put = await send('PUT', `/scim/v2/Users/${id}`, { schemas: [USER], userName: 'full@example.com', roles: Array.from({ length: 101 }, (_, i) => ({ value: `r${i}` })) })
  t.equal(put.statusCode, 400)
  t.match(put.json(), { detail: /"roles" would have 101 values/ })
})

t.test('configured limits; stored lists above the limit may shrink but not grow; members are not capped', async t => {
  const { app, auth, db, config } = await build(t, { MAX_MULTI_VALUED_VALUES: '3', PATCH_MAX_OPERATIONS: '2' })
  t.match(config, { maxMultiValuedValues: 3, patchMaxOperations: 2 })
  const send = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
    app.inject({ method, url, headers: { ...auth, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) })

  // Stored before the limit was lowered: written through services with a higher limit.
  const roomy = createServices(db, loadConfig({ MAX_MULTI_VALUED_VALUES: '10' }))
  const { id: orgId } = await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()
  const scope = { organizationId: orgId, baseUrl: 'http://localhost/scim/v2' }
  const created = await roomy.users.create(scope, { schemas: [USER], userName: 'old@example.com', emails: emails('o', 6) })
  const id = created.id

  const shrink = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'emails[value eq "o0@example.com"]' }] })
  t.equal(shrink.statusCode, 200, 'removing one of 6 (limit 3) is allowed')
  t.equal(shrink.json().emails.length, 5)
  const rename = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Old' }] })
  t.equal(rename.statusCode, 200, 'other changes to such a user still work')
  const grow = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'new@example.com' }] }] })
  t.equal(grow.statusCode, 400, 'growing it is not')
  const threeOps = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'a' }, { op: 'replace', path: 'title', value: 'b' }, { op: 'replace', path: 'title', value: 'c' }] })
  t.equal(threeOps.statusCode, 400)
  t.match(threeOps.json(), { scimType: 'tooMany', detail: /at most 2/ })

  const users = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await send('POST', '/scim/v2/Users', { schemas: [USER], userName: `member${i}@example.com` })).json().id as string))
  const group = await send('POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: 'Big', members: users.map(value => ({ value })) })
  t.equal(group.statusCode, 201, 'five members with a limit of 3: members live in the membership table')
  t.equal(group.json().members.length, 5)
})
