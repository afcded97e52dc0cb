import t from 'tap'
import { build } from '../helpers/app.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

function findNull (value: unknown, path = ''): string | undefined {
  if (value === null) return path
  if (typeof value !== 'object') return undefined
  for (const [key, inner] of Object.entries(value as object)) {
    const found = findNull(inner, `${path}.${key}`)
    if (found !== undefined) return found
  }
  return undefined
}

t.test('discovery endpoints', async t => {
  const { app, auth } = await build(t, { BULK_MAX_OPERATIONS: '77', MAX_PAGE_SIZE: '500' })
  const get = (url: string, headers: Record<string, string> = auth) => app.inject({ method: 'GET', url, headers: { ...headers, host: 'scim.example.test' } })

  t.test('ServiceProviderConfig advertises what works, with configured limits', async t => {
    const res = await get('/scim/v2/ServiceProviderConfig')
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'application/scim+json; charset=utf-8')
    const body = res.json()
    t.match(body, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 77, maxPayloadSize: Number },
      filter: { supported: true, maxResults: 500 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      pagination: { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: 500, cursorTimeout: Number },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
      meta: { resourceType: 'ServiceProviderConfig', location: 'http://scim.example.test/scim/v2/ServiceProviderConfig' }
    })
    t.equal(findNull(body), undefined, 'no nulls')
  })

  t.test('ResourceTypes lists User and Group, each with meta.location', async t => {
    const res = await get('/scim/v2/ResourceTypes')
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.totalResults, 2)
    t.match(body.Resources, [
      { id: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User', schemaExtensions: [{ schema: ENTERPRISE, required: false }], meta: { location: 'http://scim.example.test/scim/v2/ResourceTypes/User' } },
      { id: 'Group', endpoint: '/Groups', meta: { location: 'http://scim.example.test/scim/v2/ResourceTypes/Group' } }
    ])
    t.match((await get('/scim/v2/ResourceTypes/Group')).json(), { id: 'Group', endpoint: '/Groups' })
    t.match((await get('/scim/v2/ResourceTypes/user')).json(), { id: 'User' }, 'names are case-insensitive')
    t.equal((await get('/scim/v2/ResourceTypes/Device')).statusCode, 404)
  })

  t.test('Schemas lists the three schemas; one is found by URN', async t => {
    const res = await get('/scim/v2/Schemas')
    t.equal(res.statusCode, 200)
    const ids = res.json().Resources.map((s: { id: string }) => s.id)
    t.same(ids.sort(), ['urn:ietf:params:scim:schemas:core:2.0:Group', 'urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE].sort())
    t.equal(findNull(res.json()), undefined)
    const one = await get(`/scim/v2/Schemas/${ENTERPRISE}`)
    t.equal(one.statusCode, 200)
    t.match(one.json(), { id: ENTERPRISE, attributes: Array, meta: { resourceType: 'Schema', location: `http://scim.example.test/scim/v2/Schemas/${ENTERPRISE}` } })
    t.equal((await get('/scim/v2/Schemas/urn:nope')).statusCode, 404)
  })

  t.test('discovery needs a token like the rest of the API', async t => {
    t.equal((await get('/scim/v2/ServiceProviderConfig', {})).statusCode, 401)
  })

  t.test('a filter on discovery is 403 (RFC 7644 §4)', async t => {
    const res = await get('/scim/v2/Schemas?filter=id+eq+%22x%22')
    t.equal(res.statusCode, 403)
    t.equal(res.json().status, '403')
  })

  t.test('/Me answers 501 with a SCIM error', async t => {
    const res = await get('/scim/v2/Me')
    t.equal(res.statusCode, 501)
    t.match(res.json(), { status: '501', detail: /organization/ })
  })

  t.test('routing tolerance: trailing slash, lowercase paths, unknown query parameters', async t => {
    for (const url of ['/scim/v2/ServiceProviderConfig/', '/scim/v2/serviceproviderconfig', '/scim/v2/ServiceProviderConfig?aadOptscim062020', '/scim/v2/ServiceProviderConfig?foo=bar&']) {
      const res = await get(url)
      t.equal(res.statusCode, 200, url)
      t.match(res.json(), { patch: { supported: true } }, url)
    }
  })
})
