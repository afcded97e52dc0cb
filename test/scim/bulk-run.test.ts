/** The bulk runner against a fake dispatcher: ordering, substitution, failures, failOnErrors. */
import t from 'tap'
import { parseBulkRequest } from '../../src/scim/bulk.js'
import { BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA } from '../../src/scim/schema/registry.js'
import { runBulkRequest } from '../../src/services/bulk.service.js'
import type { BulkDispatchRequest, BulkDispatchResult } from '../../src/services/bulk.service.js'

const BASE = 'https://scim.test/scim/v2'

/** A fake service: POST creates `<endpoint>-<n>`, userName "taken" conflicts, anything with fail: true is 400. */
function fakeService () {
  const calls: BulkDispatchRequest[] = []
  let next = 1
  const dispatch = async (request: BulkDispatchRequest): Promise<BulkDispatchResult> => {
    calls.push(request)
    const data = request.data as Record<string, unknown> | undefined
    if (data?.userName === 'taken') return { status: 409, body: { status: '409', scimType: 'uniqueness' }, location: undefined, etag: undefined }
    if (data?.fail === true) return { status: 400, body: { status: '400', scimType: 'invalidValue' }, location: undefined, etag: undefined }
    if (request.method === 'POST') {
      const id = `${request.endpoint.toLowerCase()}-${next++}`
      return { status: 201, body: { id, ...data }, location: `${BASE}/${request.endpoint}/${id}`, etag: 'W/"1"' }
    }
    if (request.method === 'DELETE') return { status: 204, body: undefined, location: undefined, etag: undefined }
    return { status: 200, body: { id: request.id }, location: undefined, etag: 'W/"2"' }
  }
  const locate = (endpoint: string, id: string) => `${BASE}/${endpoint}/${id}`
  return { calls, options: { dispatch, locate } }
}

const run = async (Operations: unknown[], failOnErrors?: number) => {
  const service = fakeService()
  const request = parseBulkRequest({ schemas: [BULK_REQUEST_SCHEMA], Operations, ...(failOnErrors !== undefined ? { failOnErrors } : {}) }, { maxOperations: 100 })
  const response = await runBulkRequest(request, service.options)
  return { response, calls: service.calls }
}

t.test('forward references: dependencies run first, ids are substituted, results in request order', async t => {
  const { response, calls } = await run([
    { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'G', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
    { method: 'POST', path: '/Users', bulkId: 'u1', data: { userName: 'one' } },
    { method: 'POST', path: '/Users', bulkId: 'u2', data: { userName: 'two' } },
    { method: 'PATCH', path: '/Groups/bulkId:g', version: 'W/"1"', data: { Operations: [{ op: 'remove', path: 'members[value eq "bulkId:u1"]' }] } }
  ])
  t.same(calls.map(c => `${c.method} ${c.endpoint}`), ['POST Users', 'POST Users', 'POST Groups', 'PATCH Groups'])
  t.same(calls[2]?.data, { displayName: 'G', members: [{ value: 'users-1' }, { value: 'users-2' }] })
  t.same(calls[3], { method: 'PATCH', endpoint: 'Groups', id: 'groups-3', version: 'W/"1"', data: { Operations: [{ op: 'remove', path: 'members[value eq "users-1"]' }] } })
  t.same(response, {
    schemas: [BULK_RESPONSE_SCHEMA],
    Operations: [
      { method: 'POST', bulkId: 'g', status: '201', version: 'W/"1"', location: `${BASE}/Groups/groups-3` },
      { method: 'POST', bulkId: 'u1', status: '201', version: 'W/"1"', location: `${BASE}/Users/users-1` },
      { method: 'POST', bulkId: 'u2', status: '201', version: 'W/"1"', location: `${BASE}/Users/users-2` },
      { method: 'PATCH', status: '200', version: 'W/"2"', location: `${BASE}/Groups/groups-3` }
    ]
  })
})

t.test('a failed POST fails every operation that refers to it with 409; others go on', async t => {
  const { response, calls } = await run([
    { method: 'POST', path: '/Users', bulkId: 'bad', data: { userName: 'taken' } },
    { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'G', members: [{ value: 'bulkId:bad' }] } },
    { method: 'DELETE', path: '/Users/bulkId:bad' },
    { method: 'DELETE', path: '/Users/abc' },
    { method: 'GET', path: '/Users/abc' }
  ])
  t.same(calls.map(c => `${c.method} ${c.id ?? ''}`), ['POST ', 'DELETE abc'])
  t.match(response.Operations, [
    { method: 'POST', bulkId: 'bad', status: '409', response: { scimType: 'uniqueness' } },
    { method: 'POST', bulkId: 'g', status: '409', response: { status: '409', detail: /"bad" could not be resolved/ } },
    { method: 'DELETE', status: '409' },
    { method: 'DELETE', status: '204', location: `${BASE}/Users/abc` },
    { method: 'GET', status: '400', response: { scimType: 'invalidValue' } }
  ])
  t.notOk('location' in (response.Operations[0] as object), 'a failed POST has no location')
  t.notOk('version' in (response.Operations[3] as object), 'DELETE answered no ETag')
})

t.test('circular references are reported as 409 and nothing of the cycle runs', async t => {
  const { response, calls } = await run([
    { method: 'POST', path: '/Groups', bulkId: 'a', data: { displayName: 'A', members: [{ value: 'bulkId:b' }] } },
    { method: 'POST', path: '/Groups', bulkId: 'b', data: { displayName: 'B', members: [{ value: 'bulkId:a' }] } },
    { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'u' } }
  ])
  t.same(calls.map(c => c.method + ' ' + c.endpoint), ['POST Users'])
  t.match(response.Operations, [
    { bulkId: 'a', status: '409', response: { detail: /Circular/ } },
    { bulkId: 'b', status: '409', response: { detail: /Circular/ } },
    { bulkId: 'u', status: '201' }
  ])
})

t.test('failOnErrors: processing stops after that many errors; the rest is not reported (§3.7.3)', async t => {
  const operations = [
    { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'a' } },
    { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'taken' } },
    { method: 'POST', path: '/Users', bulkId: 'c', data: { userName: 'c' } },
    { method: 'PUT', path: '/Users/x', data: { fail: true } },
    { method: 'POST', path: '/Users', bulkId: 'd', data: { userName: 'd' } }
  ]
  const one = await run(operations, 1)
  t.same(one.response.Operations.map(r => `${r.bulkId ?? r.method} ${r.status}`), ['a 201', 'b 409'])
  t.equal(one.calls.length, 2)
  const two = await run(operations, 2)
  t.same(two.response.Operations.map(r => `${r.bulkId ?? r.method} ${r.status}`), ['a 201', 'b 409', 'c 201', 'PUT 400'])
  const none = await run(operations)
  t.equal(none.response.Operations.length, 5)
})
