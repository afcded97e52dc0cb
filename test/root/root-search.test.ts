/**
 * Root-level queries (RFC 7644 §3.4.2.1, §3.4.3): `GET /scim/v2/?…`, `GET /scim/v2?…` and
 * `POST /scim/v2/.search` answer one ListResponse over Users and Groups, with each type's
 * own schemas, meta.resourceType, projection and member rules; true totals; one stable order
 * across index and cursor pages.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { build } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { insertUsers, organizationId, scimClient, type ScimResponse } from '../groups/group-helpers.js'

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'

interface Resource { id: string, schemas: string[], meta: { resourceType: string, created: string }, displayName?: string, userName?: string, members?: Array<{ value: string }> }

const idsOf = (res: ScimResponse): string[] => res.body.Resources.map((r: Resource) => r.id)
const typesOf = (res: ScimResponse): string[] => res.body.Resources.map((r: Resource) => r.meta.resourceType)

t.test('root queries over Users and Groups', async t => {
  const { app, db, auth, tokenFor } = await build(t, { MAX_PAGE_SIZE: '50' })
  const scim = scimClient(app, auth)

  await t.test('an empty tenant: 200 with Resources: [] on every spelling of the root', async t => {
    for (const url of ['/scim/v2/', '/scim/v2', '/scim/v2?filter=userName eq "nobody"', '/scim/v2/?startIndex=1&count=2']) {
      const res = await scim('GET', url)
      t.equal(res.status, 200, url)
      t.same(res.body, { schemas: [LIST_RESPONSE], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] }, url)
    }
  })

  // Users and groups created in alternation, so creation order interleaves the two types.
  const created: Array<{ type: 'User' | 'Group', id: string }> = []
  const userIds: string[] = []
  for (let i = 0; i < 6; i++) {
    const user = await scim('POST', '/Users', { userName: `user${i}@example.com`, ...(i % 2 === 0 ? { displayName: `Person ${i}` } : {}) })
    t.equal(user.status, 201, user.text.slice(0, 200))
    created.push({ type: 'User', id: user.body.id })
    userIds.push(user.body.id)
    // Embedded Postgres' clock ticks in milliseconds: keep creation instants distinct, so
    // the alternation is what the (created_at, id) order returns.
    await sleep(2)
    const group = await scim('POST', '/Groups', { displayName: `Team ${i}`, externalId: `ext-${i}`, members: userIds.slice(0, i).map(value => ({ value })) })
    t.equal(group.status, 201, group.text.slice(0, 200))
    created.push({ type: 'Group', id: group.body.id })
    await sleep(2)
  }
  const shared = await scim('POST', '/Users', { userName: 'shared@example.com', displayName: 'Shared Name' })
  await sleep(2)
  const sharedGroup = await scim('POST', '/Groups', { displayName: 'shared name' })
  created.push({ type: 'User', id: shared.body.id }, { type: 'Group', id: sharedGroup.body.id })
  const creationOrder = created.map(c => c.id)
  const total = created.length
  const other = scimClient(app, await tokenFor('globex'))
  await other('POST', '/Users', { userName: 'user0@example.com', displayName: 'Person 0' })
  await other('POST', '/Groups', { displayName: 'Team 0' })

  t.test('unfiltered: every user and group once, in creation order, each with its own schemas and meta', async t => {
    for (const url of ['/scim/v2/', '/scim/v2']) {
      const res = await scim('GET', `${url}?count=50`)
      t.equal(res.status, 200)
      t.equal(res.headers['content-type'], 'application/scim+json; charset=utf-8')
      t.equal(res.body.totalResults, total, 'another organization does not leak in')
      t.same(idsOf(res), creationOrder)
      for (const resource of res.body.Resources as Resource[]) {
        const user = resource.meta.resourceType === 'User'
        t.same(resource.schemas, [user ? USER_URN : GROUP_URN])
        t.match(resource.meta, { location: new RegExp(`/scim/v2/${user ? 'Users' : 'Groups'}/${resource.id}$`), version: /^W\/"\d+"$/ })
      }
      t.same(typesOf(res), created.map(c => c.type))
    }
  })

  t.test('a filter on an attribute one type lacks matches only the other (RFC 7644 §3.4.2.1)', async t => {
    const byUserName = await scim('GET', '/scim/v2/?filter=userName eq "USER3@example.com"')
    t.same(idsOf(byUserName), [userIds[3]])
    t.equal(byUserName.body.totalResults, 1)
    const both = await scim('GET', '/scim/v2/?filter=displayName eq "shared name"')
    t.same(idsOf(both), [shared.body.id, sharedGroup.body.id], 'displayName is on both: the user and the group')
    t.same(typesOf(both), ['User', 'Group'])
    const withMembers = await scim('GET', `/scim/v2/?filter=members.value eq "${userIds[0]}"&excludedAttributes=members`)
    t.same(typesOf(withMembers), ['Group', 'Group', 'Group', 'Group', 'Group'])
    const inGroup = await scim('GET', '/scim/v2/?filter=groups pr')
    t.same(typesOf(inGroup), ['User', 'User', 'User', 'User', 'User'], 'users in some group')
    // No value: `not pr` and `ne` hold on the type without the attribute.
    const noUserName = await scim('GET', '/scim/v2/?filter=not (userName pr)')
    t.equal(noUserName.body.totalResults, 7)
    t.same([...new Set(typesOf(noUserName))], ['Group'])
    const ne = await scim('GET', '/scim/v2/?filter=userName ne "user0@example.com"&count=0')
    t.equal(ne.body.totalResults, total - 1)
    const eitherType = await scim('GET', '/scim/v2/?filter=userName sw "user1" or externalId eq "ext-2"')
    t.same(idsOf(eitherType), [userIds[1], created[5]?.id])
    const byType = await scim('GET', '/scim/v2/?filter=meta.resourceType eq "Group"&count=0')
    t.equal(byType.body.totalResults, 7)
  })

  t.test('an attribute no type has, or a bad filter, is 400 invalidFilter', async t => {
    for (const filter of ['nosuch eq "x"', 'userName.foo eq "x"', 'members.nosuch eq "x"', 'userName eq', 'active eq "maybe"', 'userName gt null']) {
      const res = await scim('GET', `/scim/v2/?filter=${encodeURIComponent(filter)}`)
      t.equal(res.status, 400, filter)
      t.match(res.body, { status: '400', scimType: 'invalidFilter' }, filter)
    }
    const sort = await scim('GET', '/scim/v2/?sortBy=nosuch')
    t.match(sort.body, { status: '400', scimType: 'invalidValue' })
    t.equal((await scim('GET', '/scim/v2/?sortBy=emails')).status, 400, 'multi-valued attributes cannot be sorted on')
  })

  t.test('sortBy across types: missing values last ascending, first descending; ties by id', async t => {
    const byName = await scim('GET', '/scim/v2/?sortBy=displayName&count=50&attributes=displayName')
    const names = byName.body.Resources.map((r: Resource) => r.displayName ?? null)
    const present = names.filter((n: string | null) => n !== null)
    t.same(present, [...present].sort((a: string, b: string) => a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    t.same(names.slice(present.length), [null, null, null], 'the three users without displayName come last')
    const descending = await scim('GET', '/scim/v2/?sortBy=userName&sortOrder=descending&count=50')
    t.same([...new Set(typesOf(descending).slice(0, 7))], ['Group'], 'groups have no userName: first when descending')
    const userNames = descending.body.Resources.slice(7).map((r: Resource) => r.userName)
    t.same(userNames, [...userNames].sort().reverse())
    const groupIds = descending.body.Resources.slice(0, 7).map((r: Resource) => r.id)
    t.same(groupIds, [...groupIds].sort().reverse(), 'missing keys tie, broken by id')
    const ascending = await scim('GET', '/scim/v2/?sortBy=userName&count=50')
    t.same(typesOf(ascending).slice(7), Array(7).fill('Group'), 'groups last when ascending')
    const created = await scim('GET', '/scim/v2/?sortBy=meta.created&sortOrder=descending&count=50')
    t.same(idsOf(created), [...creationOrder].reverse())
  })

  t.test('startIndex/count pages the global order with the true totalResults', async t => {
    const pages: string[] = []
    for (let start = 1; start <= total; start += 5) {
      const res = await scim('GET', `/scim/v2/?startIndex=${start}&count=5&excludedAttributes=members`)
      t.equal(res.body.totalResults, total)
      t.equal(res.body.startIndex, start)
      pages.push(...idsOf(res))
    }
    t.same(pages, creationOrder)
    const sorted = []
    for (let start = 1; start <= total; start += 4) sorted.push(...idsOf(await scim('GET', `/scim/v2/?sortBy=displayName&startIndex=${start}&count=4`)))
    t.same(sorted, idsOf(await scim('GET', '/scim/v2/?sortBy=displayName&count=50')), 'sorted pages join up too')
    const past = await scim('GET', '/scim/v2/?startIndex=100&count=5')
    t.same({ total: past.body.totalResults, items: past.body.itemsPerPage, resources: past.body.Resources }, { total, items: 0, resources: [] })
    const countZero = await scim('GET', '/scim/v2/?count=0&filter=displayName sw "team"')
    t.same({ total: countZero.body.totalResults, resources: countZero.body.Resources }, { total: 6, resources: [] })
  })

  t.test('cursor paging (RFC 9865) across both types: forward, back, sorted; bound to the root query', async t => {
    const walk = async (query: string): Promise<{ ids: string[], pages: ScimResponse[] }> => {
      const pages: ScimResponse[] = []
      let cursor: string | undefined = ''
      while (cursor !== undefined && pages.length < 20) {
        const res = await scim('GET', `/scim/v2/?${query}&count=3&cursor=${cursor}`)
        t.equal(res.status, 200, res.text.slice(0, 200))
        pages.push(res)
        cursor = res.body.nextCursor
      }
      return { ids: pages.flatMap(idsOf), pages }
    }
    const forward = await walk('excludedAttributes=members')
    t.same(forward.ids, creationOrder)
    t.same(forward.pages.map(p => p.body.itemsPerPage), [3, 3, 3, 3, 2])
    for (const page of forward.pages) {
      t.equal(page.body.totalResults, total)
      t.notOk('startIndex' in page.body)
    }
    const last = forward.pages[4] as ScimResponse
    const back = await scim('GET', `/scim/v2/?excludedAttributes=members&count=3&cursor=${last.body.previousCursor}`)
    t.same(idsOf(back), idsOf(forward.pages[3] as ScimResponse))
    const sortedWalk = await walk('sortBy=displayName')
    t.same(sortedWalk.ids, idsOf(await scim('GET', '/scim/v2/?sortBy=displayName&count=50')))
    const filtered = await walk('filter=displayName sw "team" or userName sw "user"')
    t.equal(filtered.ids.length, 12)
    t.equal(filtered.pages[0]?.body.totalResults, 12)

    const next = forward.pages[0]?.body.nextCursor as string
    for (const [url, what] of [[`/Users?cursor=${next}`, 'on /Users'], [`/Groups?cursor=${next}`, 'on /Groups'], [`/scim/v2/?cursor=${next}&filter=userName pr`, 'another filter']]) {
      const res = await scim('GET', url as string)
      t.match({ status: res.status, body: res.body }, { status: 400, body: { scimType: 'invalidCursor' } }, `a root cursor is refused ${what}`)
    }
    const userCursor = (await scim('GET', '/Users?cursor=&count=1')).body.nextCursor as string
    t.match((await scim('GET', `/scim/v2/?cursor=${userCursor}`)).body, { scimType: 'invalidCursor' }, 'a /Users cursor is refused at the root')
    t.match((await scim('GET', '/scim/v2/?cursor=&startIndex=1')).body, { scimType: 'invalidValue' })
  })

  t.test('attributes and excludedAttributes apply to each type as on its own endpoint', async t => {
    const only = await scim('GET', '/scim/v2/?attributes=displayName&filter=displayName eq "shared name"')
    t.same(only.body.Resources, [
      { schemas: [USER_URN], id: shared.body.id, displayName: 'Shared Name' },
      { schemas: [GROUP_URN], id: sharedGroup.body.id, displayName: 'shared name' }
    ])
    const excluded = await scim('GET', '/scim/v2/?excludedAttributes=members,groups,meta&count=50')
    for (const resource of excluded.body.Resources) {
      t.notOk('members' in resource || 'groups' in resource || 'meta' in resource, resource.id)
    }
    const full = await scim('GET', `/scim/v2/?filter=id eq "${created[11]?.id}" or id eq "${userIds[0]}"`)
    const [user, group] = full.body.Resources
    t.same(group.members.map((m: { value: string }) => m.value).sort(), userIds.slice(0, 5).sort(), 'a group carries its members')
    t.match(group.members[0], { value: String, display: String, $ref: /\/Users\//, type: 'User' })
    t.same(user.groups.length, 5, 'a user carries its groups')
    t.match(user.groups[0], { value: String, display: /^Team /, $ref: /\/Groups\//, type: 'direct' })
    const memberValues = await scim('GET', '/scim/v2/?attributes=members.value&filter=displayName eq "Team 2"')
    t.same(memberValues.body.Resources[0].members, userIds.slice(0, 2).sort().map(value => ({ value })))
  })

  t.test('POST /scim/v2/.search is the same query with the parameters in the body', async t => {
    const res = await scim('POST', '/scim/v2/.search', {
      schemas: [SEARCH_REQUEST], filter: 'displayName sw "Team" or userName sw "user"', sortBy: 'displayName', startIndex: 2, count: 3, excludedAttributes: ['members']
    })
    t.equal(res.status, 200, res.text.slice(0, 200))
    t.equal(res.body.totalResults, 12)
    t.same(res.body.Resources.map((r: Resource) => r.displayName), ['Person 2', 'Person 4', 'Team 0'])
    t.equal(res.body.startIndex, 2)
    const bad = await scim('POST', '/scim/v2/.search', { schemas: ['urn:nope'] })
    t.match({ status: bad.status, body: bad.body }, { status: 400, body: { scimType: 'invalidSyntax' } })
    const cursor = await scim('POST', '/scim/v2/.search', { schemas: [SEARCH_REQUEST], cursor: '', count: 4 })
    const second = await scim('POST', '/scim/v2/.search', { schemas: [SEARCH_REQUEST], cursor: cursor.body.nextCursor, count: 4 })
    t.same([...idsOf(cursor), ...idsOf(second)], creationOrder.slice(0, 8))
  })

  t.test('the other organization sees only its own', async t => {
    const res = await other('GET', '/scim/v2/?filter=displayName sw "team" or userName pr')
    t.equal(res.body.totalResults, 2)
    t.same(typesOf(res), ['User', 'Group'])
  })

  t.test('authentication is required', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/' })
    t.equal(res.statusCode, 401)
    t.ok(await organizationId(db))
  })
})

t.test('root results list every member or fail whole: MAX_INLINE_MEMBERS counts the response', async t => {
  const { app, auth } = await build(t, { MAX_INLINE_MEMBERS: '12' })
  const scim = scimClient(app, auth)
  const users: string[] = []
  for (let i = 0; i < 4; i++) users.push((await scim('POST', '/Users', { userName: `m${i}@example.com` })).body.id)
  for (let i = 0; i < 3; i++) await scim('POST', '/Groups', { displayName: `G${i}`, members: users.map(value => ({ value })) })
  const res = await scim('GET', '/scim/v2/?filter=displayName sw "G"')
  t.equal(res.status, 200)
  t.same(res.body.Resources.map((r: Resource) => r.members?.length), [4, 4, 4], '12 members fit: every group complete')
  const users3 = await scim('GET', '/scim/v2/?filter=userName sw "m"&attributes=groups')
  t.same(users3.body.Resources.map((r: { groups: unknown[] }) => r.groups.length), [3, 3, 3, 3], "users' groups complete too (12)")
  const over = await scim('GET', '/scim/v2/?filter=displayName sw "G" or userName sw "m"')
  t.equal(over.status, 400, '24 members and groups: refused whole, never cut')
  t.equal(over.body.scimType, 'tooMany')
  t.equal((await scim('GET', '/scim/v2/?filter=displayName sw "G" or userName sw "m"&excludedAttributes=members,groups')).status, 200, 'the advice works')
})

/** Records every query's operation tree, to see which tables a request touched. */
class QueryRecorder implements KyselyPlugin {
  readonly queries: string[] = []
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode {
    this.queries.push(JSON.stringify(args.node))
    return args.node
  }

  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result
  }

  touched (table: string): boolean {
    return this.queries.some(query => query.includes(`"${table}"`) || query.includes(` ${table} `) || query.includes(` ${table}\\n`))
  }
}

t.test('root queries without members (and groups) never read group_members', async t => {
  const handle = await createTestDatabase(t)
  const recorder = new QueryRecorder()
  const db = handle.db.withPlugin(recorder)
  const config = loadConfig({ LOG_LEVEL: 'silent' })
  const app = await buildApp(config, { db, services: createServices(db, config) })
  t.teardown(() => app.close())
  const created = await createServices(db, config).tokens.create('acme')
  const scim = scimClient(app, { authorization: `Bearer ${created.token}` })
  const [user] = await insertUsers(db, await organizationId(db), 1) as [string]
  t.equal((await scim('POST', '/Groups', { displayName: 'Big one', members: [{ value: user }] })).status, 201)

  const touches = async (url: string): Promise<boolean> => {
    recorder.queries.length = 0
    const res = await scim('GET', url)
    t.equal(res.status, 200, url)
    t.ok(res.body.totalResults > 0, `${url} finds something`)
    return recorder.touched('group_members')
  }
  t.equal(await touches('/scim/v2/?filter=displayName eq "big one"&excludedAttributes=members'), false, 'Entra-style lookup at the root')
  t.equal(await touches('/scim/v2/?excludedAttributes=members,groups'), false, 'unfiltered, neither members nor groups shown')
  t.equal(await touches('/scim/v2/?attributes=displayName,userName'), false, 'attributes without members or groups')
  t.equal(await touches('/scim/v2/?cursor=&excludedAttributes=members,groups'), false, 'cursor pages too')
  t.equal(await touches('/scim/v2/?filter=displayName eq "big one"'), true, 'control: members shown are read')
  t.equal(await touches('/scim/v2/?excludedAttributes=members'), true, 'control: the users\' groups are read')
})

t.test('what discovery advertises holds at the root: page sizes, sorting, both paging methods', async t => {
  const { app, auth } = await build(t, { DEFAULT_PAGE_SIZE: '2', MAX_PAGE_SIZE: '3' })
  const scim = scimClient(app, auth)
  for (let i = 0; i < 3; i++) {
    await scim('POST', '/Users', { userName: `d${i}@example.com` })
    await scim('POST', '/Groups', { displayName: `D${i}` })
  }
  const config = (await scim('GET', '/ServiceProviderConfig')).body
  t.match(config, { filter: { supported: true, maxResults: 3 }, sort: { supported: true }, pagination: { cursor: true, index: true, defaultPageSize: 2, maxPageSize: 3 } })
  const byDefault = await scim('GET', '/scim/v2/')
  t.same({ total: byDefault.body.totalResults, items: byDefault.body.itemsPerPage }, { total: 6, items: 2 }, 'defaultPageSize')
  const capped = await scim('GET', '/scim/v2/?count=100&sortBy=displayName&sortOrder=descending')
  t.equal(capped.body.itemsPerPage, 3, 'maxPageSize caps count')
  t.same(capped.body.Resources.map((r: Resource) => r.displayName ?? null), [null, null, null], 'users have no displayName: first descending')
  const cursor = await scim('POST', '/scim/v2/.search', { schemas: [SEARCH_REQUEST], cursor: '', count: 100 })
  t.equal(cursor.body.itemsPerPage, 3)
  t.type(cursor.body.nextCursor, 'string', 'cursor paging is offered at the root')
})
