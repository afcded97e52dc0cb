/** Cursor pagination of /Users (RFC 9865): 250 users in pages of 100, both directions, errors, index paging alongside. */
import t from 'tap'
import { build } from '../helpers/app.js'

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }
const N = 250

interface Page {
  totalResults: number, itemsPerPage: number, startIndex?: number, nextCursor?: string, previousCursor?: string
  Resources: Array<{ id: string, userName: string, groups?: Array<{ value: string }> }>
}

t.test('GET /Users with cursor', async t => {
  const { app, auth, db } = await build(t)
  const Operations: unknown[] = Array.from({ length: N }, (_, i) => ({
    method: 'POST', path: '/Users', bulkId: `u${i}`, data: { schemas: [USER_URN], userName: `user${String(N - i).padStart(3, '0')}@example.com` }
  }))
  Operations.push({ method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP_URN], displayName: 'First ten', members: Array.from({ length: 10 }, (_, i) => ({ value: `bulkId:u${i}` })) } })
  const created = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [BULK_REQUEST], Operations } })
  const results = created.json().Operations as Array<{ status: string, location: string }>
  t.same(results.filter(r => r.status !== '201'), [], 'all created')
  const createdIds = results.slice(0, N).map(r => r.location.split('/').pop() as string)
  // The keyset is (created_at, id): users created within one tick of the clock (embedded
  // Postgres on a busy machine) tie on created_at and are ordered by id, so "creation order"
  // is the database's order of that key, which must hold exactly the users the Bulk created.
  const creationOrder = (await db.selectFrom('users').select('id').where('id', 'in', createdIds)
    .orderBy('created_at').orderBy('id').execute()).map(row => row.id)
  t.same([...creationOrder].sort(), [...createdIds].sort(), 'the keyset order holds every created user')
  const groupId = results[N]?.location.split('/').pop()

  const get = async (query: string) => await app.inject({ method: 'GET', url: `/scim/v2/Users?${query}`, headers: auth })
  const page = async (query: string): Promise<Page> => {
    const res = await get(query)
    t.equal(res.statusCode, 200, res.body)
    return res.json()
  }

  t.test('count=100: every user exactly once, in creation order, then back again', async t => {
    const pages: Page[] = []
    let cursor: string | undefined = ''
    while (cursor !== undefined && pages.length < 10) {
      const current: Page = await page(`cursor=${encodeURIComponent(cursor)}&count=100`)
      pages.push(current)
      cursor = current.nextCursor
    }
    t.same(pages.map(p => p.itemsPerPage), [100, 100, 50])
    const ids = pages.flatMap(p => p.Resources.map(r => r.id))
    t.equal(new Set(ids).size, N, 'no user twice')
    t.same(ids, creationOrder, 'every user, in creation order')
    t.same(pages.map(p => [p.totalResults, 'startIndex' in p, 'previousCursor' in p, 'nextCursor' in p]), [
      [N, false, false, true],
      [N, false, true, true],
      [N, false, true, false]
    ])
    t.same(pages[0]?.Resources[0]?.groups?.map(g => g.value), [groupId], 'groups are still there')

    const back = await page(`cursor=${pages[2]?.previousCursor}&count=100`)
    t.same(back.Resources.map(r => r.id), creationOrder.slice(100, 200))
    const start = await page(`cursor=${back.previousCursor}&count=100`)
    t.same(start.Resources.map(r => r.id), creationOrder.slice(0, 100))
    t.notOk('previousCursor' in start)
  })

  t.test('the RFC 9865 form: a bare `cursor` parameter, filter and sortBy kept across pages', async t => {
    const first = await page('filter=userName sw "user1"&sortBy=userName&cursor&count=40')
    t.equal(first.totalResults, 100)
    const second = await page(`filter=userName sw "user1"&sortBy=userName&cursor=${first.nextCursor}&count=40`)
    const third = await page(`filter=userName sw "user1"&sortBy=userName&cursor=${second.nextCursor}&count=40`)
    const names = [first, second, third].flatMap(p => p.Resources.map(r => r.userName))
    t.equal(names.length, 100)
    t.same(names, [...names].sort())
    t.equal(names[0], 'user100@example.com')
    t.notOk('nextCursor' in third)
  })

  t.test('invalid, tampered, other-query cursors: 400 invalidCursor; with startIndex: 400 invalidValue', async t => {
    const next = (await page('cursor=&count=100')).nextCursor as string
    const tampered = next.slice(0, 8) + (next[8] === 'A' ? 'B' : 'A') + next.slice(9)
    const cases: Array<[string, string]> = [
      ['cursor=nonsense', 'garbage'],
      [`cursor=${tampered}`, 'tampered'],
      [`cursor=${next}&filter=userName sw "user2"`, 'another filter'],
      [`cursor=${next}&sortOrder=descending`, 'another order']
    ]
    for (const [query, what] of cases) {
      const res = await get(`${query}&count=100`)
      t.equal(res.statusCode, 400, what)
      t.match(res.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidCursor' }, what)
    }
    const groups = await app.inject({ method: 'GET', url: `/scim/v2/Groups?cursor=${next}`, headers: auth })
    t.match(groups.json(), { status: '400', scimType: 'invalidCursor' }, 'a Users cursor is no Groups cursor')
    const both = await get(`startIndex=101&cursor=${next}`)
    t.match(both.json(), { status: '400', scimType: 'invalidValue' })
  })

  t.test('index paging keeps working', async t => {
    const third = await page('startIndex=201&count=100')
    t.equal(third.startIndex, 201)
    t.equal(third.totalResults, N)
    t.same(third.Resources.map(r => r.id), creationOrder.slice(200))
    t.notOk('nextCursor' in third)
    t.notOk('previousCursor' in third)
  })
})
