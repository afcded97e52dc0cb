import t from 'tap'
import { build } from '../helpers/app.js'

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'

t.test('SCIM transport and error shapes', async t => {
  const { app, auth } = await build(t, { BODY_LIMIT_BYTES: '2048', BULK_MAX_PAYLOAD_BYTES: '1048576' })
  // Probe routes inside the SCIM scope, to observe parsing without depending on resources
  // (public: they test parsing, not authentication).
  await app.register(async scope => {
    scope.addHook('onRequest', async (_req, reply) => { reply.type('application/scim+json; charset=utf-8') })
    scope.route({ method: ['POST', 'DELETE', 'GET'], url: '/echo', config: { scope: 'public' }, handler: async req => ({ body: req.body ?? null }) })
    scope.get('/boom', { config: { scope: 'public' } }, async () => { throw new Error('secret internal detail') })
  }, { prefix: '/scim/v2/probe' })

  t.test('application/scim+json and application/json, with or without charset, are JSON', async t => {
    for (const type of ['application/scim+json', 'application/scim+json; charset=utf-8', 'application/json', 'application/json; charset=UTF-8']) {
      const res = await app.inject({ method: 'POST', url: '/scim/v2/probe/echo', headers: { 'content-type': type }, payload: '{"a":1}' })
      t.equal(res.statusCode, 200, type)
      t.same(res.json(), { body: { a: 1 } }, type)
      t.equal(res.headers['content-type'], 'application/scim+json; charset=utf-8')
    }
  })

  t.test('an empty body with a JSON content type is no body (Okta DELETE)', async t => {
    for (const method of ['DELETE', 'GET', 'POST'] as const) {
      const res = await app.inject({ method, url: '/scim/v2/probe/echo', headers: { 'content-type': 'application/scim+json; charset=utf-8' }, payload: '' })
      t.equal(res.statusCode, 200, method)
      t.same(res.json(), { body: null }, method)
    }
  })

  t.test('malformed JSON is 400 invalidSyntax', async t => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/probe/echo', headers: { 'content-type': 'application/scim+json' }, payload: '{"a":' })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { schemas: [ERROR_URN], status: '400', scimType: 'invalidSyntax' })
  })

  t.test('prototype poisoning is refused', async t => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/probe/echo', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1}}' })
    t.equal(res.statusCode, 400)
    t.equal(res.json().scimType, 'invalidSyntax')
  })

  t.test('other content types are 415', async t => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/probe/echo', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    t.equal(res.statusCode, 415)
    t.match(res.json(), { schemas: [ERROR_URN], status: '415' })
    t.equal(res.headers['content-type'], 'application/scim+json; charset=utf-8')
  })

  t.test('a body over the limit is 413; the larger bulk limit holds only for /Bulk', async t => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/probe/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(5000) }) })
    t.equal(res.statusCode, 413)
    t.match(res.json(), { schemas: [ERROR_URN], status: '413' })
    const user = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: JSON.stringify({ userName: 'big@example.com', title: 'y'.repeat(5000) }) })
    t.equal(user.statusCode, 413)
    const bulk = await app.inject({
      method: 'POST',
      url: '/scim/v2/Bulk',
      headers: { ...auth, 'content-type': 'application/scim+json' },
      // Each operation fits the single-request limit (it is dispatched as one); together they do not.
      payload: JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        Operations: ['a', 'b', 'c'].map(id => ({ method: 'POST', bulkId: id, path: '/Users', data: { userName: `bulk-${id}@example.com`, title: 'y'.repeat(1200) } }))
      })
    })
    t.equal(bulk.statusCode, 200)
    t.same(bulk.json().Operations.map((op: { status: string }) => op.status), ['201', '201', '201'])
  })

  t.test('unknown routes under /scim/v2 are SCIM 404s', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/Nope', headers: auth })
    t.equal(res.statusCode, 404)
    t.match(res.json(), { schemas: [ERROR_URN], status: '404', detail: /Nope/ })
    t.equal(res.headers['content-type'], 'application/scim+json; charset=utf-8')
  })

  t.test('an unexpected error is 500 without internals, logged with the request id', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/probe/boom', headers: { 'x-request-id': 'req-boom-1' } })
    t.equal(res.statusCode, 500)
    t.match(res.json(), { schemas: [ERROR_URN], status: '500' })
    t.notOk(res.body.includes('secret internal detail'))
    t.match(res.body, /req-boom-1/)
  })
})

t.test('one log line per request with id, method, route, status, time, organization', async t => {
  const { app, auth, logs } = await build(t)
  logs.length = 0
  await app.inject({ method: 'GET', url: '/scim/v2/Users?filter=userName+eq+%22secret%40example.com%22', headers: { ...auth, 'x-request-id': 'abc-123' } })
  const lines = logs.filter(l => l.reqId === 'abc-123')
  t.equal(lines.filter(l => l.msg === 'request').length, 1)
  t.match(lines.find(l => l.msg === 'request'), {
    reqId: 'abc-123', method: 'GET', route: '/scim/v2/Users', status: Number, responseTimeMs: Number, organization: 'acme'
  })
  t.notOk(JSON.stringify(logs).includes('secret@example.com'), 'filters (emails) are not logged')
  t.notOk(JSON.stringify(logs).toLowerCase().includes('bearer'), 'authorization is not logged')
})
