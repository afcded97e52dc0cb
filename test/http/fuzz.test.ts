/**
 * Thousands of generated hostile requests through the whole app (routing, parsing, auth,
 * validation, PATCH, filters, Bulk, the database): whatever a client sends, the answer is
 * never a 5xx, and every error is an RFC 7644 §3.12 body. Runs on the file's own database
 * (embedded or real Postgres). FUZZ_RUNS scales the number of runs per property.
 */
import fc from 'fast-check'
import t from 'tap'
import { GROUP_RESOURCE, USER_RESOURCE, type ScimResourceSchema } from '../../src/scim/schema/registry.js'
import type { ScimAttributeDefinition } from '../../src/scim/schema/types.js'
import { build } from '../helpers/app.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'

/** Every attribute path of a resource, from the registry: `userName`, `name.givenName`, `urn:…:department`. */
function attributePaths (resource: ScimResourceSchema): string[] {
  const paths = (attributes: readonly ScimAttributeDefinition[], prefix: string): string[] => attributes.flatMap(a => [
    `${prefix}${a.name}`, ...(a.subAttributes ?? []).map(s => `${prefix}${a.name}.${s.name}`)
  ])
  return [...paths(resource.core.attributes, ''), ...resource.extensions.flatMap(e => paths(e.attributes, `${e.id}:`)), 'id', 'externalId', 'meta']
}
const USER_PATHS = attributePaths(USER_RESOURCE)
const GROUP_PATHS = attributePaths(GROUP_RESOURCE)

/** Text nobody should be able to break us with: lone surrogates, U+0000, RTL marks, long runs, JSON/filter syntax. */
const oddText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udfffb', '\u0000', '\u202e', '\ufeff', '😀', '"', '\\', '[', ']', '"]', 'bulkId:x', 'é'.repeat(1100), ' ', ''),
  fc.tuple(fc.string({ maxLength: 5 }), fc.constantFrom('\ud83d', '\ude00', '\u0000')).map(([a, b]) => a + b)
)

const deep = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.constantFrom('[', '{"a":')).map(([n, open]) =>
  JSON.parse(open.repeat(n) + '1' + (open === '[' ? ']' : '}').repeat(n)) as unknown)

/** Any JSON value, with odd text, odd numbers and some nesting. */
const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>(tie => ({
  v: fc.oneof({ depthSize: 'small' },
    oddText, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null),
    fc.constantFrom('True', 'false', '2020-02-30T00:00:00Z', '9999-12-31T23:59:59Z', 1e308, -0, 2 ** 53 + 1),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom('value', 'type', 'primary', 'display', '$ref', 'givenName'), oddText), tie('v'), { maxKeys: 3 }),
    deep
  )
})).v

/** Valid filters, then mutated character by character. */
const FILTERS = [
  'userName eq "a@example.com"', 'emails[type eq "work" and value co "@x"]', 'name.familyName sw "J"',
  'meta.lastModified gt "2020-01-01T00:00:00Z"', 'not (active eq true) or title pr', 'members[value eq "x"]',
  'displayName ew "s"', 'emails.value co "a"', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"',
  '(((userName eq "a")))', 'x509Certificates.value pr'
]
const SYNTAX = ['(', ')', '[', ']', '"', ' ', '.', ':', '\\', 'eq', 'and', 'not', '\ud800', '\u0000', '%', '😀']
const mutatedFilter = fc.tuple(fc.constantFrom(...FILTERS), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom(...SYNTAX)), { maxLength: 4 }))
  .map(([text, edits]) => edits.reduce((s, [at, drop, insert]) => {
    const i = at % (s.length + 1)
    return s.slice(0, i) + insert + s.slice(i + drop)
  }, text))
const filterText = fc.oneof(mutatedFilter, oddText, fc.constantFrom('('.repeat(500) + 'userName pr' + ')'.repeat(500), 'not '.repeat(300) + 'userName pr'))

/** Percent-encodes the UTF-8 of a string (lone surrogates included, as U+FFFD) plus raw invalid sequences. */
const encodeQuery = (text: string): string => Buffer.from(text, 'utf8').toString('hex').replace(/../g, '%$&')
const queryValue = fc.oneof(filterText.map(encodeQuery), fc.constantFrom('%', '%zz', '%ED%A0%80', '%C0%AF', '%FF', '+', '%00'))

const badId = fc.oneof(fc.uuid(), oddText.map(encodeQuery), fc.constantFrom('..', '%2e%2e', '%2F', 'x'.repeat(300), '%ED%A0%80', '00000000-0000-0000-0000-000000000000', 'bulkId:x'))

const patchPath = fc.oneof(
  fc.constantFrom(...USER_PATHS, ...GROUP_PATHS, undefined, null, ''),
  mutatedFilter.map(f => `emails[${f}].value`),
  fc.tuple(fc.constantFrom(...USER_PATHS, 'members'), filterText).map(([p, f]) => `${p}[${f}]`),
  oddText
)
const operation = fc.record({
  op: fc.oneof(fc.constantFrom('add', 'Replace', 'REMOVE', 'copy', ''), anyValue),
  path: fc.oneof(patchPath, anyValue),
  value: anyValue
}, { requiredKeys: [] })

function resourceBody (schema: string, paths: readonly string[], required: Record<string, unknown>) {
  return fc.tuple(fc.dictionary(fc.constantFrom(...paths), anyValue, { maxKeys: 4 }), fc.boolean(), fc.boolean())
    .map(([attributes, keepRequired, keepSchemas]) => ({ ...(keepSchemas ? { schemas: [schema] } : {}), ...(keepRequired ? required : {}), ...attributes }))
}
const userBody = resourceBody(USER, USER_PATHS, { userName: 'fuzz@example.com' })
const groupBody = resourceBody(GROUP, GROUP_PATHS, { displayName: 'Fuzz group' })

const bulkOperation = fc.record({
  method: fc.oneof(fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'post'), anyValue),
  path: fc.oneof(fc.constantFrom('/Users', '/Groups', '/Users/bulkId:a', '/Groups/bulkId:b', '/Users/x/../y', '/Bulk', '/Users?x=1'), oddText, anyValue),
  bulkId: fc.oneof(fc.constantFrom('a', 'b', 'c'), oddText, anyValue),
  version: fc.oneof(fc.constantFrom('W/"1"', '*'), anyValue),
  data: fc.oneof(userBody, groupBody, fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(operation, { maxLength: 3 }) }),
    fc.constant({ displayName: 'g', members: [{ value: 'bulkId:a' }, { value: 'bulkId:b' }] }), anyValue)
}, { requiredKeys: [] })

interface Sent { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: string | Buffer, contentType?: string }

const asJson = (value: unknown): string => JSON.stringify(value) ?? 'null'

t.test('no generated request gets a 5xx', async t => {
  const { app, auth } = await build(t)
  const created = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: asJson({ schemas: [USER], userName: 'target@example.com', emails: [{ value: 't@example.com', type: 'work' }] }) })
  const userId = created.json().id as string
  const group = await app.inject({ method: 'POST', url: '/scim/v2/Groups', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: asJson({ schemas: [GROUP], displayName: 'Target', members: [{ value: userId }] }) })
  const groupId = group.json().id as string

  const send = async (request: Sent): Promise<void> => {
    const res = await app.inject({
      method: request.method,
      url: request.url,
      headers: { ...auth, ...(request.body !== undefined ? { 'content-type': request.contentType ?? 'application/scim+json' } : {}) },
      ...(request.body !== undefined ? { payload: request.body } : {})
    })
    if (res.statusCode >= 500) throw new Error(`${request.method} ${request.url.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}\nbody: ${String(request.body).slice(0, 300)}`)
    if (res.statusCode >= 400 && res.statusCode !== 404 && res.statusCode !== 405) {
      const body = res.json() as { schemas?: unknown, status?: unknown }
      if (!Array.isArray(body.schemas) || body.schemas[0] !== ERROR || body.status !== String(res.statusCode)) {
        throw new Error(`${request.method} ${request.url.slice(0, 200)} → ${res.statusCode} without a SCIM error body: ${res.body.slice(0, 300)}`)
      }
    }
  }
  const check = async (name: string, arbitrary: fc.Arbitrary<Sent>, runs = RUNS): Promise<void> => {
    await t.resolves(fc.assert(fc.asyncProperty(arbitrary, send), { numRuns: runs }), name)
  }

  const resources = fc.constantFrom({ path: 'Users', id: userId, body: userBody }, { path: 'Groups', id: groupId, body: groupBody })

  await check('bad JSON bodies', fc.record({
    method: fc.constantFrom('POST' as const, 'PUT' as const, 'PATCH' as const),
    url: fc.constantFrom('/scim/v2/Users', `/scim/v2/Users/${userId}`, `/scim/v2/Groups/${groupId}`, '/scim/v2/Bulk', '/scim/v2/Users/.search'),
    body: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.uint8Array({ maxLength: 60 }).map(bytes => Buffer.from(bytes)),
      anyValue.map(v => asJson(v).slice(0, Math.max(1, asJson(v).length - 1))),
      fc.tuple(fc.integer({ min: 33, max: 20_000 }), fc.constantFrom('name', 'Operations', 'members'), fc.constantFrom('[', '{"a":')).map(([n, key, open]) =>
        `{"schemas":["${USER}","${BULK}","${PATCH_OP}"],"userName":"deep@example.com","displayName":"Deep","${key}":${open.repeat(n)}1${(open === '[' ? ']' : '}').repeat(n)}}`),
      fc.constantFrom('{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', '[', '{"a":1}{', '\ufeff{}', '{"a":"\\ud800"}', 'null', '1e999')
    ),
    contentType: fc.constantFrom('application/scim+json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'text/plain', 'application/scim+json; charset="UTF-16"', 'application/json;;;')
  }), RUNS)

  await check('wrong types for every attribute on POST and PUT', fc.tuple(resources, fc.boolean()).chain(([resource, put]) =>
    resource.body.map(body => ({ method: put ? 'PUT' as const : 'POST' as const, url: `/scim/v2/${resource.path}${put ? `/${resource.id}` : ''}`, body: asJson(body) }))), RUNS * 2)

  await check('PATCH with generated operations and paths', fc.tuple(resources, fc.array(operation, { maxLength: 4 }), fc.boolean()).map(([resource, Operations, withSchemas]) => ({
    method: 'PATCH' as const, url: `/scim/v2/${resource.path}/${resource.id}`, body: asJson({ ...(withSchemas ? { schemas: [PATCH_OP] } : {}), Operations })
  })), RUNS * 2)

  await check('mutated filters, in the query and in .search', fc.tuple(fc.constantFrom('Users', 'Groups'), filterText, queryValue, fc.boolean(), anyValue).map(([path, text, encoded, search, extra]) => search
    ? { method: 'POST' as const, url: `/scim/v2/${path}/.search`, body: asJson({ schemas: [SEARCH], filter: text, sortBy: extra, count: extra }) }
    : { method: 'GET' as const, url: `/scim/v2/${path}?filter=${encoded}` }), RUNS * 2)

  await check('odd list parameters', fc.tuple(fc.constantFrom('Users', 'Groups'), fc.constantFrom('startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'), queryValue).map(([path, name, value]) => ({
    method: 'GET' as const, url: `/scim/v2/${path}?${name}=${value}`
  })), RUNS)

  await check('bad ids', fc.tuple(fc.constantFrom('Users', 'Groups'), fc.constantFrom('GET' as const, 'PUT' as const, 'PATCH' as const, 'DELETE' as const), badId).map(([path, method, id]) => ({
    method, url: `/scim/v2/${path}/${id}`, ...(method === 'PUT' || method === 'PATCH' ? { body: asJson(method === 'PUT' ? { userName: 'x', displayName: 'x' } : { Operations: [{ op: 'add', path: 'title', value: 'x' }] }) } : {})
  })), RUNS)

  await check('Bulk with generated operations', fc.tuple(fc.array(bulkOperation, { maxLength: 5 }), fc.oneof(fc.constant(undefined), anyValue)).map(([Operations, failOnErrors]) => ({
    method: 'POST' as const, url: '/scim/v2/Bulk', body: asJson({ schemas: [BULK], Operations, ...(failOnErrors !== undefined ? { failOnErrors } : {}) })
  })), RUNS)

  // The seeded resources still answer: nothing above left them unreadable.
  t.equal((await app.inject({ method: 'GET', url: `/scim/v2/Groups/${groupId}`, headers: auth })).statusCode < 500, true)
  t.equal((await app.inject({ method: 'GET', url: '/scim/v2/Users?count=1000', headers: auth })).statusCode, 200)
})
