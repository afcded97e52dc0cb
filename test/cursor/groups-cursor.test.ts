/** Cursor pagination of /Groups (RFC 9865): keyset pages, previousCursor, sorted pages, errors. */
import t from 'tap'
import { CURSOR_TIMEOUT_SECONDS, encodeCursor } from '../../src/scim/cursor.js'
import { build } from '../helpers/app.js'

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const SEARCH_URN = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }
const N = 120

interface Page { totalResults: number, itemsPerPage: number, startIndex?: number, nextCursor?: string, previousCursor?: string, Resources: Array<{ id: string, displayName: string }> }

t.test('GET /Groups with cursor', async t => {
  const { app, auth, token, services, tokenFor } = await build(t)
  // Names in reverse of creation order, so sorting by displayName is visibly another order.
  const Operations = Array.from({ length: N }, (_, i) => ({
    method: 'POST', path: '/Groups', bulkId: `g${i}`, data: { schemas: [GROUP_URN], displayName: `Team ${String(N - i).padStart(3, '0')}` }
  }))
  const created = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [BULK_REQUEST], Operations } })
  const creationOrder: string[] = created.json().Operations.map((op: { location: string }) => op.location.split('/').pop())
  t.equal(creationOrder.length, N)

  const get = async (query: string) => await app.inject({ method: 'GET', url: `/scim/v2/Groups?${query}`, headers: auth })
  const page = async (query: string): Promise<Page> => {
    const res = await get(query)
    t.equal(res.statusCode, 200, res.body)
    return res.json()
  }

  t.test('forward through every page: each group once, in creation order; then back with previousCursor', async t => {
    const pages: Page[] = []
    let cursor: string | undefined = ''
    while (cursor !== undefined) {
      const current: Page = await page(`cursor=${cursor}&count=50&excludedAttributes=members`)
      pages.push(current)
      cursor = current.nextCursor
    }
    t.same(pages.map(p => p.itemsPerPage), [50, 50, 20])
    t.same(pages.flatMap(p => p.Resources.map(r => r.id)), creationOrder)
    for (const p of pages) {
      t.equal(p.totalResults, N)
      t.notOk('startIndex' in p, 'no startIndex under cursor pagination')
    }
    t.notOk('previousCursor' in (pages[0] as Page), 'first page: no previousCursor')
    t.notOk('nextCursor' in (pages[2] as Page), 'last page: no nextCursor')
    const back = await page(`cursor=${pages[2]?.previousCursor}&count=50&excludedAttributes=members`)
    t.same(back.Resources.map(r => r.id), pages[1]?.Resources.map(r => r.id))
    const first = await page(`cursor=${back.previousCursor}&count=50&excludedAttributes=members`)
    t.same(first.Resources.map(r => r.id), pages[0]?.Resources.map(r => r.id))
    t.notOk('previousCursor' in first)
  })

  t.test('an explicit sortBy pages in that order', async t => {
    const names: string[] = []
    let cursor: string | undefined = ''
    while (cursor !== undefined) {
      const current: Page = await page(`sortBy=displayName&cursor=${cursor}&count=50`)
      names.push(...current.Resources.map(r => r.displayName))
      cursor = current.nextCursor
    }
    t.equal(names.length, N)
    t.same(names, [...names].sort())
    t.equal(names[0], 'Team 001')
  })

  t.test('.search takes the cursor in the body', async t => {
    const search = async (body: Record<string, unknown>): Promise<Page> => (await app.inject({
      method: 'POST', url: '/scim/v2/Groups/.search', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [SEARCH_URN], ...body }
    })).json()
    const one = await search({ filter: 'displayName sw "Team 0"', cursor: '', count: 60 })
    t.equal(one.totalResults, 99)
    t.equal(one.Resources.length, 60)
    const two = await search({ filter: 'displayName sw "Team 0"', cursor: one.nextCursor, count: 60 })
    t.equal(two.Resources.length, 39)
    t.notOk('nextCursor' in two)
    const wrongQuery = await app.inject({
      method: 'POST', url: '/scim/v2/Groups/.search', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [SEARCH_URN], filter: 'displayName sw "Team 1"', cursor: one.nextCursor, count: 60 }
    })
    t.equal(wrongQuery.statusCode, 400)
    t.match(wrongQuery.json(), { status: '400', scimType: 'invalidCursor' })
  })

  t.test('bad cursors: 400 invalidCursor, expiredCursor; startIndex with cursor is 400 invalidValue', async t => {
    const next = (await page('cursor=&count=10')).nextCursor as string
    const tampered = next.slice(0, 5) + (next[5] === 'x' ? 'y' : 'x') + next.slice(6)
    for (const [query, what] of [[`cursor=${tampered}`, 'tampered'], ['cursor=garbage', 'garbage'], [`cursor=${next}&filter=displayName eq "Team 001"`, 'other filter'], [`cursor=${next}&sortBy=displayName`, 'other sort']]) {
      const res = await get(query as string)
      t.equal(res.statusCode, 400, what)
      t.match(res.json(), { status: '400', scimType: 'invalidCursor' }, what)
    }
    const other = await app.inject({ method: 'GET', url: `/scim/v2/Groups?cursor=${next}`, headers: await tokenFor('globex') })
    t.equal(other.statusCode, 400, 'another organization cannot replay the cursor')
    t.match(other.json(), { scimType: 'invalidCursor' })

    const organization = await services.tokens.authenticate(token)
    const expired = encodeCursor({ kind: 'start' }, { resourceType: 'Group', organizationId: String(organization?.id), filter: undefined, sortBy: undefined, sortOrder: 'ascending' }, Math.floor(Date.now() / 1000) - CURSOR_TIMEOUT_SECONDS - 5)
    const late = await get(`cursor=${expired}`)
    t.equal(late.statusCode, 400)
    t.match(late.json(), { scimType: 'expiredCursor' })

    const both = await get('startIndex=1&cursor=&count=5')
    t.equal(both.statusCode, 400)
    t.match(both.json(), { scimType: 'invalidValue', detail: /not both/ })
  })

  t.test('index paging still works', async t => {
    const second = await page('startIndex=51&count=50&excludedAttributes=members')
    t.equal(second.startIndex, 51)
    t.same(second.Resources.map(r => r.id), creationOrder.slice(50, 100))
    t.notOk('nextCursor' in second)
  })
})
