import t from 'tap'
import { buildListResponse, parseListParams, resolveSortBy } from '../../src/scim/list-params.js'
import type { ScimListParamsInput } from '../../src/scim/list-params.js'
import { ENTERPRISE_USER_SCHEMA as ENT, GROUP_RESOURCE, LIST_RESPONSE_SCHEMA, USER_RESOURCE } from '../../src/scim/schema/registry.js'

const limits = { defaultCount: 100, maxCount: 500 }
const parse = (input: ScimListParamsInput) => parseListParams(input, limits)
const catchError = (fn: () => unknown): unknown => {
  try { fn() } catch (error) { return error }
  return undefined
}

t.test('defaults', async t => {
  t.same(parse({}), {
    filter: undefined, startIndex: 1, count: 100, sortBy: undefined, sortOrder: 'ascending',
    attributes: [], excludedAttributes: [], cursor: undefined
  })
})

t.test('startIndex and count from query strings and .search bodies', async t => {
  const cases: Array<[ScimListParamsInput, number, number]> = [
    [{ startIndex: '1', count: '2' }, 1, 2], // Okta connection test
    [{ startIndex: '101', count: '100' }, 101, 100],
    [{ startIndex: 0, count: 0 }, 1, 0],
    [{ startIndex: '-5', count: '-1' }, 1, 0],
    [{ startIndex: ' 7 ', count: '+3' }, 7, 3],
    [{ count: '100000' }, 1, 500],
    [{ startIndex: '', count: '' }, 1, 100],
    [{ startIndex: ['3'], count: null }, 3, 100]
  ]
  for (const [input, startIndex, count] of cases) t.match(parse(input), { startIndex, count }, JSON.stringify(input))
})

t.test('non-integers are 400 invalidValue', async t => {
  const bad: ScimListParamsInput[] = [
    { startIndex: 'abc' }, { count: '1.5' }, { count: 2.5 }, { startIndex: true }, { count: '1e3' },
    { count: ['1', '2'] }, { startIndex: '99999999999999999999' }
  ]
  for (const input of bad) t.match(catchError(() => parse(input)), { status: 400, scimType: 'invalidValue' }, JSON.stringify(input))
})

t.test('sortOrder', async t => {
  t.equal(parse({ sortOrder: 'DESCENDING' }).sortOrder, 'descending')
  t.equal(parse({ sortOrder: 'Ascending' }).sortOrder, 'ascending')
  t.equal(parse({ sortOrder: '' }).sortOrder, 'ascending')
  t.match(catchError(() => parse({ sortOrder: 'up' })), { scimType: 'invalidValue', message: /sortOrder/ })
  t.match(catchError(() => parse({ sortOrder: 1 })), { scimType: 'invalidValue' })
})

t.test('attribute lists: comma strings, arrays, repeated parameters', async t => {
  t.same(parse({ attributes: 'userName, name.givenName,,' }).attributes, ['userName', 'name.givenName'])
  t.same(parse({ excludedAttributes: ['members'] }).excludedAttributes, ['members'])
  t.same(parse({ attributes: ['a,b', 'c'] }).attributes, ['a', 'b', 'c'])
  t.match(catchError(() => parse({ attributes: [1] })), { scimType: 'invalidValue' })
  t.match(catchError(() => parse({ excludedAttributes: 5 })), { scimType: 'invalidValue' })
})

t.test('filter, sortBy and cursor are kept raw', async t => {
  t.match(parse({ filter: 'userName eq "x"', sortBy: ' userName ', cursor: 'abc' }), { filter: 'userName eq "x"', sortBy: 'userName', cursor: 'abc' })
  t.match(parse({ filter: '   ', sortBy: '' }), { filter: undefined, sortBy: undefined })
  t.equal(parse({ cursor: '' }).cursor, '', 'empty cursor = first page (RFC 9865)')
  t.match(catchError(() => parse({ filter: 3 })), { scimType: 'invalidValue' })
})

t.test('resolveSortBy', async t => {
  t.equal(resolveSortBy(USER_RESOURCE, 'USERNAME'), 'userName')
  t.equal(resolveSortBy(USER_RESOURCE, 'name.familyname'), 'name.familyName')
  t.equal(resolveSortBy(USER_RESOURCE, 'meta.LastModified'), 'meta.lastModified')
  t.equal(resolveSortBy(USER_RESOURCE, `${ENT.toLowerCase()}:department`), `${ENT}:department`)
  t.equal(resolveSortBy(GROUP_RESOURCE, 'displayname'), 'displayName')
  for (const bad of ['emails', 'emails.value', 'password', 'name', 'nope', 'userName.x']) {
    t.match(catchError(() => resolveSortBy(USER_RESOURCE, bad)), { status: 400, scimType: 'invalidValue' }, bad)
  }
  t.match(catchError(() => resolveSortBy(GROUP_RESOURCE, 'members.value')), { scimType: 'invalidValue' })
})

t.test('buildListResponse', async t => {
  const empty = buildListResponse([], { totalResults: 0, startIndex: 1, itemsPerPage: 0 })
  t.same(empty, { schemas: [LIST_RESPONSE_SCHEMA], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] })
  t.same(Object.keys(empty).at(-1), 'Resources')
  const page = buildListResponse([{ id: 'a' }], { totalResults: 7, itemsPerPage: 1, nextCursor: 'n', previousCursor: 'p' })
  t.same(page, { schemas: [LIST_RESPONSE_SCHEMA], totalResults: 7, itemsPerPage: 1, nextCursor: 'n', previousCursor: 'p', Resources: [{ id: 'a' }] })
  t.notOk('startIndex' in page)
  t.throws(() => buildListResponse([], { totalResults: 1.5, itemsPerPage: 0 }))
  t.throws(() => buildListResponse([], { totalResults: 1, itemsPerPage: 0, startIndex: -1 }))
})
