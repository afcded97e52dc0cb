/** POST /Bulk with Groups: bulkId member references (forward ones too), the customer-only rule, paths with bulkIds. */
import t from 'tap'
import { build } from '../helpers/app.js'

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }

interface Result { method: string, bulkId?: string, status: string, location?: string, version?: string, response?: Record<string, unknown> }

const newUser = (bulkId: string, extra: Record<string, unknown> = {}) =>
  ({ method: 'POST', path: '/Users', bulkId, data: { schemas: [USER_URN], userName: `${bulkId}@example.com`, ...extra } })
const newGroup = (bulkId: string, members: string[]) =>
  ({ method: 'POST', path: '/Groups', bulkId, data: { schemas: [GROUP_URN], displayName: `Group ${bulkId}`, members: members.map(value => ({ value })) } })
const idOf = (result: Result | undefined) => String(result?.location?.split('/').pop())

t.test('POST /Bulk with Groups', async t => {
  const { app, auth } = await build(t)
  const headers = { ...auth, ...JSON_TYPE }
  const bulk = async (Operations: unknown[], extra: Record<string, unknown> = {}) => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers, payload: { schemas: [BULK_REQUEST], Operations, ...extra } })
    t.equal(res.statusCode, 200, res.body)
    return res.json().Operations as Result[]
  }
  const membersOf = async (groupId: string) => {
    const res = await app.inject({ method: 'GET', url: `/scim/v2/Groups/${groupId}`, headers: auth })
    return ((res.json().members ?? []) as Array<{ value: string }>).map(m => m.value).sort()
  }

  t.test('RFC 7644 §3.7.2: a group whose members are users created later in the same request', async t => {
    const results = await bulk([
      newGroup('tour', ['bulkId:alice', 'bulkId:bob']),
      newUser('alice'),
      newUser('bob')
    ])
    t.match(results, [
      { method: 'POST', bulkId: 'tour', status: '201', location: /\/Groups\// },
      { method: 'POST', bulkId: 'alice', status: '201', location: /\/Users\// },
      { method: 'POST', bulkId: 'bob', status: '201', location: /\/Users\// }
    ])
    t.same(await membersOf(idOf(results[0])), [idOf(results[1]), idOf(results[2])].sort())
  })

  t.test('bulkIds in paths and in PATCH values and filters', async t => {
    const results = await bulk([
      newUser('carol'),
      newUser('dave'),
      newGroup('crew', ['bulkId:carol']),
      { method: 'PATCH', path: '/Groups/bulkId:crew', data: { schemas: [PATCH_URN], Operations: [{ op: 'Add', path: 'members', value: [{ value: 'bulkId:dave' }] }] } },
      { method: 'PATCH', path: '/Groups/bulkId:crew', data: { schemas: [PATCH_URN], Operations: [{ op: 'remove', path: 'members[value eq "bulkId:carol"]' }] } }
    ])
    t.same(results.map(r => r.status), ['201', '201', '201', '204', '204'])
    t.equal(results[3]?.location, results[2]?.location)
    t.same(await membersOf(idOf(results[2])), [idOf(results[1])])
  })

  t.test('the customer-only rule holds inside bulk: only the offending operation fails, 400 invalidValue', async t => {
    const results = await bulk([
      newUser('admin', { userType: 'administrator' }),
      newUser('erin'),
      newGroup('mixed', ['bulkId:erin', 'bulkId:admin']),
      newGroup('fine', ['bulkId:erin'])
    ])
    t.match(results, [
      { bulkId: 'admin', status: '201' },
      { bulkId: 'erin', status: '201' },
      { bulkId: 'mixed', status: '400', response: { status: '400', scimType: 'invalidValue', detail: new RegExp(idOf(results[0])) } },
      { bulkId: 'fine', status: '201' }
    ])
    t.notOk(results[2]?.location, 'the failed POST created nothing')
    const list = await app.inject({ method: 'GET', url: '/scim/v2/Groups?filter=displayName eq "Group mixed"', headers: auth })
    t.equal(list.json().totalResults, 0, 'no half-made group')
    t.same(await membersOf(idOf(results[3])), [idOf(results[1])])
  })

  t.test('a member reference to a failed POST is 409; a circular reference between groups is 409', async t => {
    const results = await bulk([
      newUser('frank', { userName: 'alice@example.com' }),
      newGroup('needs-frank', ['bulkId:frank']),
      newGroup('a', ['bulkId:b']),
      newGroup('b', ['bulkId:a']),
      newGroup('ok', [])
    ])
    t.match(results, [
      { bulkId: 'frank', status: '409', response: { scimType: 'uniqueness' } },
      { bulkId: 'needs-frank', status: '409', response: { detail: /"frank" could not be resolved/ } },
      { bulkId: 'a', status: '409', response: { detail: /Circular/ } },
      { bulkId: 'b', status: '409', response: { detail: /Circular/ } },
      { bulkId: 'ok', status: '201' }
    ])
  })

  t.test('PUT and DELETE of groups, version as If-Match', async t => {
    const [user, group] = await bulk([newUser('gina'), newGroup('gym', [])])
    const results = await bulk([
      { method: 'PUT', path: `/Groups/${idOf(group)}`, version: 'W/"9"', data: { schemas: [GROUP_URN], displayName: 'Gym X', members: [] } },
      { method: 'PUT', path: `/Groups/${idOf(group)}`, version: group?.version, data: { schemas: [GROUP_URN], displayName: 'Gym', members: [{ value: idOf(user) }] } },
      { method: 'DELETE', path: `/Users/${idOf(user)}` }
    ])
    t.match(results, [
      { method: 'PUT', status: '412' },
      { method: 'PUT', status: '200', version: 'W/"2"' },
      { method: 'DELETE', status: '204' }
    ])
    t.same(await membersOf(idOf(group)), [], 'the deleted user left the group')
    const gone = await bulk([{ method: 'DELETE', path: `/Groups/${idOf(group)}` }, { method: 'DELETE', path: `/Groups/${idOf(group)}` }])
    t.same(gone.map(r => r.status), ['204', '404'])
  })
})
