import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { evaluateFilter } from '../../src/scim/filter/evaluate.js'
import { parseResolvedFilter } from '../../src/scim/filter/resolve.js'
import { USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { build } from '../helpers/app.js'

const LIST_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SEARCH_URN = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }

t.test('GET /Users and POST /Users/.search', async t => {
  const { app, auth, db, tokenFor } = await build(t, { DEFAULT_PAGE_SIZE: '4', MAX_PAGE_SIZE: '5' })
  const headers = { ...auth, ...JSON_TYPE }
  const list = async (query: string, h: Record<string, string> = auth) => {
    const res = await app.inject({ method: 'GET', url: `/scim/v2/Users${query}`, headers: h })
    t.equal(res.statusCode, 200, `GET /Users${query}: ${res.body.slice(0, 200)}`)
    return res.json()
  }
  const search = async (body: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users/.search', headers, payload: { schemas: [SEARCH_URN], ...body } })
    t.equal(res.statusCode, 200, res.body.slice(0, 200))
    return res.json()
  }

  await t.test('an empty tenant: Okta connection test and Entra random-guid probe are 200 with Resources: []', async t => {
    t.same(await list('?startIndex=1&count=2'), { schemas: [LIST_URN], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] })
    t.same((await list('?filter=userName+eq+%22a6d6b1ce-4c2b-4b63-9b7c-4d4a1d1b0d5e%22')).Resources, [])
  })

  const fixtures = [
    { userName: 'ford_purdy@example.com', externalId: 'ext-ford', displayName: 'Ford Purdy', emails: [{ value: 'Ford_Purdy@Example.com', type: 'work', primary: true }], [ENTERPRISE_URN]: { department: 'Sales' } },
    { userName: 'ada@example.com', externalId: 'ext-ada', displayName: 'Ada', title: 'Countess', emails: [{ value: 'ada@home.example', type: 'home' }], active: false },
    { userName: 'grace@example.com', displayName: 'Grace Hopper', userType: 'administrator', name: { familyName: 'Hopper', givenName: 'Grace' }, [ENTERPRISE_URN]: { department: 'Navy', employeeNumber: '1906' } },
    { userName: 'linus@example.com', displayName: 'linus', title: '100%_real', emails: [{ value: 'linus@work.example', type: 'work' }, { value: 'l@home.example', type: 'home' }] },
    { userName: 'zed@example.com', name: { familyName: 'Zed' }, nickName: 'Z', userType: 'collaborator' },
    { userName: 'Bob@Example.com', displayName: 'Bob', emails: { value: 'bob@work.example', type: 'work' } },
    { userName: 'carol@example.com', displayName: 'carol', externalId: 'EXT-ADA', active: 'False' }
  ]
  const ids: string[] = []
  for (const body of fixtures) {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers, payload: body })
    if (res.statusCode !== 201) throw new Error(res.body)
    ids.push(res.json().id)
    // Embedded Postgres' clock ticks in milliseconds: keep creation instants distinct, so
    // "creation order" is what the (created_at, id) keyset returns.
    await sleep(2)
  }
  const organizationId = (await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id
  const group = await db.insertInto('groups').values({ organization_id: organizationId, display_name: 'Engineers', attributes: '{}' }).returning('id').executeTakeFirstOrThrow()
  for (const i of [0, 3]) await db.insertInto('group_members').values({ organization_id: organizationId, group_id: group.id, user_id: ids[i] as string }).execute()
  const other = await tokenFor('globex')
  await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...other, ...JSON_TYPE }, payload: { userName: 'ford_purdy@example.com', externalId: 'ext-ford' } })

  t.test('userName eq is case-insensitive (the Microsoft validator) and scoped by organization', async t => {
    const body = await list('?filter=userName eq "FORD_PURDY@EXAMPLE.COM"')
    t.equal(body.totalResults, 1)
    t.equal(body.Resources[0].id, ids[0])
    t.same(body.Resources[0].groups.map((g: { value: string }) => g.value), [group.id])
    const theirs = await list('?filter=userName eq "FORD_PURDY@EXAMPLE.COM"', other)
    t.equal(theirs.totalResults, 1)
    t.not(theirs.Resources[0].id, ids[0])
    t.same(theirs.Resources[0].groups, [])
    t.equal((await list('', other)).totalResults, 1, 'another organization sees only its own users')
  })

  t.test('query strings: +, %20, raw quotes, trailing &, unknown parameters, parameter name case all mean the same', async t => {
    const variants = [
      '?filter=userName+eq+%22ford_purdy%40example.com%22',
      '?filter=userName%20eq%20%22ford_purdy@example.com%22',
      '?filter=userName%20eq%20"ford_purdy@example.com"&',
      '?aadOptscim062020&filter=userName+eq+"ford_purdy@example.com"&',
      '?FILTER=userName eq "ford_purdy@example.com"&unknown=1'
    ]
    for (const query of variants) {
      const body = await list(query)
      t.equal(body.totalResults, 1, query)
      t.equal(body.Resources[0]?.id, ids[0], query)
    }
  })

  t.test('raw quotes and a trailing & survive a real HTTP parser (not only inject)', async t => {
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET /scim/v2/Users?filter=userName+eq+"FORD_PURDY@example.com"& HTTP/1.1\r\nHost: scim.test\r\nAuthorization: ${auth.authorization}\r\nConnection: close\r\n\r\n`)
      })
      let text = ''
      socket.on('data', chunk => { text += chunk.toString('utf8') })
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    t.match(response, /^HTTP\/1\.1 200 /)
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))
    t.equal(body.totalResults, 1)
    t.equal(body.Resources[0].id, ids[0])
  })

  t.test('Entra lookups: externalId (caseExact), emails[type eq "work"].value; groups[value eq]', async t => {
    t.same((await list('?filter=externalId eq "ext-ada"')).Resources.map((r: { id: string }) => r.id), [ids[1]])
    t.same((await list('?filter=emails[type eq "work"].value eq "bob@WORK.example"')).Resources.map((r: { id: string }) => r.id), [ids[5]])
    t.same((await list('?filter=emails.value eq "ford_purdy@example.com"')).Resources.map((r: { id: string }) => r.id), [ids[0]])
    const members = await list(`?filter=groups[value eq "${group.id}"]&attributes=userName`)
    t.same(members.Resources.map((r: { id: string }) => r.id).sort(), [ids[0], ids[3]].sort())
    t.same(Object.keys(members.Resources[0]).sort(), ['id', 'schemas', 'userName'])
  })

  t.test('paging: stable order by creation, true totalResults, count=0, startIndex < 1, page size limits', async t => {
    const all: string[] = []
    for (let start = 1; start <= 7; start += 2) {
      const page = await list(`?startIndex=${start}&count=2`)
      t.equal(page.totalResults, 7)
      t.equal(page.startIndex, start)
      all.push(...page.Resources.map((r: { id: string }) => r.id))
    }
    t.same(all, ids, 'every user once, in creation order')
    t.same(await list('?count=0'), { schemas: [LIST_URN], totalResults: 7, startIndex: 1, itemsPerPage: 0, Resources: [] })
    t.equal((await list('?startIndex=0&count=1')).Resources[0].id, ids[0])
    t.equal((await list('?startIndex=-5&count=1')).startIndex, 1)
    t.equal((await list('')).itemsPerPage, 4, 'default page size from config')
    t.equal((await list('?count=1000')).itemsPerPage, 5, 'capped at the maximum page size')
    const beyond = await list('?startIndex=100')
    t.equal(beyond.totalResults, 7)
    t.same(beyond.Resources, [])
  })

  t.test('sortBy/sortOrder on sortable attributes; id breaks ties; bad sortBy is 400', async t => {
    const byName = await list('?sortBy=userName&count=5')
    t.same(byName.Resources.map((r: { userName: string }) => r.userName),
      ['ada@example.com', 'Bob@Example.com', 'carol@example.com', 'ford_purdy@example.com', 'grace@example.com'])
    const desc = await list('?sortBy=USERNAME&sortOrder=descending&count=2')
    t.same(desc.Resources.map((r: { userName: string }) => r.userName), ['zed@example.com', 'linus@example.com'])
    const byType = await search({ sortBy: 'userType', count: 5, attributes: ['userType'] })
    t.same(byType.Resources.map((r: { userType: string }) => r.userType), ['administrator', 'collaborator', 'customer', 'customer', 'customer'])
    const customers = ids.filter((_, i) => ![2, 4].includes(i)).sort()
    const tied = await search({ sortBy: 'userType', startIndex: 3, count: 5 })
    t.same(tied.Resources.map((r: { id: string }) => r.id), customers.slice(0, 5), 'ties in id order')
    const bad = await app.inject({ method: 'GET', url: '/scim/v2/Users?sortBy=emails', headers: auth })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { scimType: 'invalidValue' })
  })

  t.test('.search takes the parameters from the body; excludedAttributes applies to lists', async t => {
    const body = await search({ filter: 'title pr', excludedAttributes: ['emails', 'groups'], startIndex: 1, count: 10 })
    t.equal(body.totalResults, 2)
    for (const resource of body.Resources) {
      t.notOk('emails' in resource)
      t.notOk('groups' in resource)
    }
    const none = await search({ filter: 'userName eq "nobody"' })
    t.same(none, { schemas: [LIST_URN], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] })
    const wrong = await app.inject({ method: 'POST', url: '/scim/v2/Users/.search', headers, payload: { schemas: ['urn:x'], filter: 'userName pr' } })
    t.equal(wrong.statusCode, 400)
  })

  t.test('invalid filters are 400 invalidFilter', async t => {
    for (const filter of ['userName eq', 'nosuch eq "x"', 'userName zz "x"', 'active eq "maybe"']) {
      const res = await app.inject({ method: 'GET', url: `/scim/v2/Users?filter=${encodeURIComponent(filter)}`, headers: auth })
      t.equal(res.statusCode, 400, filter)
      t.match(res.json(), { status: '400', scimType: 'invalidFilter' }, filter)
    }
  })

  t.test('SQL filtering gives exactly the users the in-memory evaluator picks (differential)', async t => {
    const everyone = (await search({ count: 5 })).Resources.concat((await search({ startIndex: 6, count: 5 })).Resources)
    t.equal(everyone.length, 7)
    const filters = [
      'userName eq "BOB@example.com"', 'userName sw "a"', 'userName ew "EXAMPLE.COM"', 'userName co "_"',
      'displayName co "%"', 'title co "%_"', 'title co "0%"', 'displayName gt "b"', 'displayName le "Ford Purdy"',
      'externalId eq "EXT-ADA"', 'externalId pr', 'not (externalId pr)', 'externalId ne "ext-ada"',
      'active eq false', 'active eq true and userType eq "customer"', 'userType ne "customer"',
      'emails pr', 'emails.type eq "home"', 'emails[type eq "work" and value co "work"]', 'emails[type eq "home"] or nickName pr',
      'name.familyName sw "h"', 'name pr', `${ENTERPRISE_URN}:department eq "navy"`, `${ENTERPRISE_URN}:employeeNumber pr`,
      'meta.created gt "2000-01-01T00:00:00Z"', 'meta.resourceType eq "User"', `groups[value eq "${group.id}"]`, 'groups pr',
      `id eq "${ids[2] as string}"`, 'not (userName sw "a" or active eq false)',
      `meta.location eq "http://localhost:80/scim/v2/Users/${ids[1] as string}"`, 'groups.display eq "engineers"'
    ]
    for (const filter of filters) {
      const resolved = parseResolvedFilter(USER_RESOURCE, filter)
      const expected = everyone.filter((user: Record<string, unknown>) => evaluateFilter(USER_RESOURCE, resolved, user)).map((u: { id: string }) => u.id).sort()
      const got = (await search({ filter, count: 5, attributes: ['id'] }))
      t.equal(got.totalResults, expected.length, `${filter}: totalResults`)
      const rest = got.totalResults > 5 ? (await search({ filter, startIndex: 6, count: 5, attributes: ['id'] })).Resources : []
      t.same(got.Resources.concat(rest).map((u: { id: string }) => u.id).sort(), expected, filter)
    }
  })
})
