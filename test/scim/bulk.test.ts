import t from 'tap'
import { findBulkIdReferences, parseBulkRequest, planBulkOperations, substituteBulkIds } from '../../src/scim/bulk.js'
import type { ScimBulkOperation } from '../../src/scim/bulk.js'
import { ScimError } from '../../src/scim/errors.js'
import { BULK_REQUEST_SCHEMA } from '../../src/scim/schema/registry.js'

const limits = { maxOperations: 10 }
const envelope = (Operations: unknown[], extra: Record<string, unknown> = {}) => ({ schemas: [BULK_REQUEST_SCHEMA], Operations, ...extra })
const parse = (Operations: unknown[], extra: Record<string, unknown> = {}) => parseBulkRequest(envelope(Operations, extra), limits)
const thrown = (fn: () => unknown): ScimError => {
  try { fn() } catch (error) { if (error instanceof ScimError) return error; throw error }
  throw new Error('expected a ScimError')
}
const user = (bulkId: string, userName = bulkId) => ({ method: 'POST', path: '/Users', bulkId, data: { userName } })
const group = (bulkId: string, members: string[]) => ({ method: 'POST', path: '/Groups', bulkId, data: { displayName: bulkId, members: members.map(value => ({ value })) } })

t.test('envelope errors fail the whole request', async t => {
  const cases: Array<[unknown, number, string | undefined, RegExp]> = [
    [[], 400, 'invalidSyntax', /JSON object/],
    [{ Operations: [] }, 400, 'invalidSyntax', /schemas must contain/],
    [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }, 400, 'invalidSyntax', /schemas/],
    [{ schemas: [BULK_REQUEST_SCHEMA] }, 400, 'invalidSyntax', /Operations must be an array/],
    [envelope([], { failOnErrors: 0 }), 400, 'invalidSyntax', /failOnErrors/],
    [envelope([], { failOnErrors: 1.5 }), 400, 'invalidSyntax', /failOnErrors/],
    [envelope(['DELETE /Users/1']), 400, 'invalidSyntax', /Operations\[0\] must be an object/],
    [envelope([user('a'), user('a', 'other')]), 400, 'invalidSyntax', /bulkId "a" is used by Operations\[0\] and Operations\[1\]/],
    [envelope(Array.from({ length: 11 }, (_, i) => user(`u${i}`))), 413, 'tooMany', /11 operations; maxOperations is 10/]
  ]
  for (const [body, status, scimType, detail] of cases) {
    const error = thrown(() => parseBulkRequest(body, limits))
    t.equal(error.status, status, String(detail))
    t.equal(error.scimType, scimType, String(detail))
    t.match(error.detail, detail)
  }
})

t.test('exactly maxOperations is accepted; names are case-insensitive; failOnErrors as a string', async t => {
  const request = parseBulkRequest({ SCHEMAS: [BULK_REQUEST_SCHEMA.toUpperCase()], operations: Array.from({ length: 10 }, (_, i) => user(`u${i}`)), FailOnErrors: '2' }, limits)
  t.equal(request.operations.length, 10)
  t.equal(request.failOnErrors, 2)
  t.equal(parse([]).failOnErrors, undefined)
})

t.test('a malformed operation carries its own error and does not fail the request', async t => {
  const request = parse([
    { method: 'GET', path: '/Users' },
    { method: 'POST', path: '/Users/123', bulkId: 'x', data: {} },
    { method: 'PUT', path: '/Users', data: {} },
    { method: 'DELETE', path: '/Schemas/urn:x' },
    { method: 'DELETE', path: '/Users/..' },
    { method: 'DELETE', path: '/Users/1?attributes=id' },
    { method: 'PATCH', path: '/Groups/1' },
    { method: 'post', path: 42 },
    { method: 'delete', path: '/groups/abc/', version: 'W/"3"' },
    { method: 'Post', path: '/Users/', bulkId: 'q', data: { userName: 'q' } }
  ])
  const summary = request.operations.map(op => [op.method, op.error?.status, op.error?.scimType])
  t.same(summary, [
    ['GET', 400, 'invalidValue'],
    ['POST', 400, 'invalidValue'],
    ['PUT', 400, 'invalidValue'],
    ['DELETE', 404, undefined],
    ['DELETE', 404, undefined],
    ['DELETE', 404, undefined],
    ['PATCH', 400, 'invalidSyntax'],
    ['POST', 400, 'invalidValue'],
    ['DELETE', undefined, undefined],
    ['POST', undefined, undefined]
  ])
  t.match(request.operations[8], { endpoint: 'Groups', id: 'abc', version: 'W/"3"' })
  t.match(request.operations[9], { endpoint: 'Users', id: undefined, bulkId: 'q' })
})

t.test('references are found in the path and anywhere in data', async t => {
  const [patch] = parse([{
    method: 'PATCH',
    path: '/Groups/bulkId:g1',
    data: {
      Operations: [
        { op: 'add', path: 'members', value: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] },
        { op: 'remove', path: 'members[value eq "bulkId:u3"]' }
      ]
    }
  }]).operations
  t.same([...findBulkIdReferences(patch as ScimBulkOperation)].sort(), ['g1', 'u1', 'u2', 'u3'])
  // Text that merely mentions bulkId is not a reference.
  t.same([...findBulkIdReferences({ id: undefined, data: { displayName: 'about bulkId: things', title: 'bulkId:', nickName: 'say "bulkId:u1"' } })], [])
})

t.test('substitution replaces references and nothing else', async t => {
  const ids: Record<string, string> = { u1: 'id-1', u3: 'id-3' }
  const data = {
    displayName: 'bulkId:u1 is not a whole reference',
    nickName: 'quoted "bulkId:u1" outside a path',
    members: [{ value: 'bulkId:u1', display: 'x' }, { value: 'bulkId:unknown' }],
    Operations: [{ op: 'remove', path: 'members[value eq "bulkId:u3"]' }],
    n: 1,
    flag: true,
    none: null
  }
  t.same(substituteBulkIds(data, b => ids[b]), {
    displayName: 'bulkId:u1 is not a whole reference',
    nickName: 'quoted "bulkId:u1" outside a path',
    members: [{ value: 'id-1', display: 'x' }, { value: 'bulkId:unknown' }],
    Operations: [{ op: 'remove', path: 'members[value eq "id-3"]' }],
    n: 1,
    flag: true,
    none: null
  })
  t.equal(substituteBulkIds('BULKID:u1', b => ids[b]), 'id-1', 'the prefix is case-insensitive')
})

t.test('plan: request order, with forward references pulled ahead (RFC 7644 §3.7.2)', async t => {
  const request = parse([
    group('g', ['bulkId:u1', 'bulkId:u2']),
    user('u1'),
    { method: 'PATCH', path: '/Groups/bulkId:g', data: { Operations: [] } },
    user('u2'),
    user('u3')
  ])
  const plan = planBulkOperations(request.operations)
  t.same(plan.order, [1, 3, 0, 2, 4])
  t.equal(plan.blocked.size, 0)
})

t.test('plan: chains of forward references', async t => {
  const request = parse([
    { method: 'PATCH', path: '/Groups/bulkId:g', data: { Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:u' }] }] } },
    group('g', ['bulkId:u']),
    { method: 'POST', path: '/Users', bulkId: 'u', data: { userName: 'u', manager: { value: 'bulkId:m' } } },
    user('m')
  ])
  t.same(planBulkOperations(request.operations).order, [3, 2, 1, 0])
})

t.test('plan: circular and unknown references block with 409 (RFC 7644 §3.7.1)', async t => {
  const request = parse([
    group('a', ['bulkId:b']),
    group('b', ['bulkId:c']),
    group('c', ['bulkId:a']),
    group('d', ['bulkId:a']),
    group('e', ['bulkId:nobody']),
    { method: 'DELETE', path: '/Users/bulkId:e2' },
    { method: 'PUT', path: '/Users/1', bulkId: 'e2', data: {} },
    group('self', ['bulkId:self']),
    user('fine')
  ])
  const plan = planBulkOperations(request.operations)
  t.same([...plan.blocked.keys()].sort(), [0, 1, 2, 4, 5, 7])
  for (const index of [0, 1, 2, 7]) {
    t.equal(plan.blocked.get(index)?.status, 409)
    t.match(plan.blocked.get(index)?.detail, /Circular/)
  }
  t.match(plan.blocked.get(4)?.detail, /"nobody" is not the bulkId of any POST/)
  t.match(plan.blocked.get(5)?.detail, /"e2" is not the bulkId of any POST/, 'only a POST defines a bulkId')
  // Every operation still appears exactly once, so every one is reported.
  t.same([...plan.order].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8])
  t.ok(plan.order.indexOf(0) < plan.order.indexOf(3), 'd runs after a, which it refers to')
})

t.test('plan: a long reference chain does not overflow the stack', async t => {
  const n = 20_000
  const operations = Array.from({ length: n }, (_, i) => i === n - 1
    ? user(`u${i}`)
    : { method: 'POST', path: '/Users', bulkId: `u${i}`, data: { userName: `u${i}`, manager: { value: `bulkId:u${i + 1}` } } })
  const request = parseBulkRequest(envelope(operations), { maxOperations: n })
  const plan = planBulkOperations(request.operations)
  t.equal(plan.order[0], n - 1)
  t.equal(plan.order[n - 1], 0)
})

t.test('reference handling survives data nested far deeper than any body may be', async t => {
  let deep: unknown = 'bulkId:bottom'
  for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { x: deep }
  t.same([...findBulkIdReferences({ id: undefined, data: deep })], ['bottom'], 'collection is iterative')
  t.match(thrown(() => substituteBulkIds(deep, () => 'id')), { status: 400, scimType: 'invalidSyntax' }, 'substitution refuses instead of overflowing')
  let shallow: unknown = 'bulkId:q'
  for (let i = 0; i < 20; i++) shallow = { x: shallow }
  t.match(JSON.stringify(substituteBulkIds(shallow, () => 'id-1')), /"id-1"/)
})
