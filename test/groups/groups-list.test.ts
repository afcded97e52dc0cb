/**
 * GET /Groups and POST /Groups/.search (RFC 7644 §3.4.2, §3.4.3; CLIENTS.md "Lists and
 * lookups"): filters compiled to SQL, true totalResults, stable paging, sorting, projection,
 * and `excludedAttributes=members` never reading group_members.
 */
import t from 'tap'
import type { LogEvent } from 'kysely'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { build } from '../helpers/app.js'
import { createTestDatabase } from '../helpers/database.js'
import { insertUsers, organizationId, scimClient } from './group-helpers.js'

const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

t.test('listing and filtering groups', async t => {
  const { app, db, auth, tokenFor } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)

  await t.test('Okta connection test on an empty tenant: 200, totalResults 0, Resources []', async t => {
    const res = await scim('GET', '/Groups?startIndex=1&count=100')
    t.equal(res.status, 200)
    t.same(res.body, { schemas: [LIST_RESPONSE], totalResults: 0, itemsPerPage: 0, startIndex: 1, Resources: [] })
  })

  const [u1, u2] = await insertUsers(db, org, 2) as [string, string]
  const names = ['Engineering', 'sales EMEA', 'Sales APAC', 'Support', 'Zeta Team']
  const ids: Record<string, string> = {}
  for (const [i, name] of names.entries()) {
    const members = name === 'Engineering' ? [{ value: u1 }, { value: u2 }] : name === 'Support' ? [{ value: u2 }] : []
    ids[name] = (await scim('POST', '/Groups', { displayName: name, externalId: `ext-${i}`, members })).body.id
  }
  await scimClient(app, await tokenFor('globex'))('POST', '/Groups', { displayName: 'Engineering' })

  const displayNames = (res: { body: { Resources: Array<{ displayName: string }> } }) => res.body.Resources.map(r => r.displayName)

  t.test('Entra lookup: displayName eq, case-insensitive, with excludedAttributes=members', async t => {
    const res = await scim('GET', '/Groups?filter=displayName+eq+%22ENGINEERING%22&excludedAttributes=members')
    t.equal(res.status, 200)
    t.equal(res.body.totalResults, 1, 'other organizations do not leak in')
    t.equal(res.body.Resources[0].id, ids.Engineering)
    t.notOk('members' in res.body.Resources[0], 'the members key is gone')
    const none = await scim('GET', `/Groups?filter=displayName eq "${'x'.repeat(20)}"&excludedAttributes=members`)
    t.same({ status: none.status, total: none.body.totalResults, resources: none.body.Resources }, { status: 200, total: 0, resources: [] })
  })

  t.test('externalId, id, members.value, members[value eq], meta.* filters', async t => {
    t.same(displayNames(await scim('GET', '/Groups?filter=externalId eq "ext-3"')), ['Support'])
    t.same(displayNames(await scim('GET', `/Groups?filter=id eq "${ids['Zeta Team']}"`)), ['Zeta Team'])
    t.same(displayNames(await scim('GET', `/Groups?filter=members.value eq "${u2}"&sortBy=displayName`)), ['Engineering', 'Support'])
    t.same(displayNames(await scim('GET', `/Groups?filter=members[value eq "${u1}"]`)), ['Engineering'])
    t.same(displayNames(await scim('GET', '/Groups?filter=displayName sw "sales"&sortBy=displayName')), ['Sales APAC', 'sales EMEA'])
    const all = await scim('GET', '/Groups?filter=meta.created gt "2000-01-01T00:00:00Z" and meta.resourceType eq "Group"')
    t.equal(all.body.totalResults, names.length)
    const bad = await scim('GET', '/Groups?filter=displayName eq')
    t.equal(bad.status, 400)
    t.equal(bad.body.scimType, 'invalidFilter')
  })

  t.test('paging: stable order, true totalResults, count=0', async t => {
    const seen: string[] = []
    for (const start of [1, 3, 5]) {
      const page = await scim('GET', `/Groups?startIndex=${start}&count=2&excludedAttributes=members`)
      t.equal(page.body.totalResults, names.length)
      t.equal(page.body.startIndex, start)
      seen.push(...displayNames(page))
    }
    t.same(seen, names, 'creation order, every group once')
    const countOnly = await scim('GET', '/Groups?count=0')
    t.same({ total: countOnly.body.totalResults, items: countOnly.body.itemsPerPage, resources: countOnly.body.Resources }, { total: 5, items: 0, resources: [] })
    const beyond = await scim('GET', '/Groups?startIndex=99')
    t.same(beyond.body.Resources, [])
    t.equal(beyond.body.totalResults, 5)
  })

  t.test('sortBy displayName (case-insensitive) both ways', async t => {
    t.same(displayNames(await scim('GET', '/Groups?sortBy=displayName')), ['Engineering', 'Sales APAC', 'sales EMEA', 'Support', 'Zeta Team'])
    t.same(displayNames(await scim('GET', '/Groups?sortBy=displayName&sortOrder=descending')), ['Zeta Team', 'Support', 'sales EMEA', 'Sales APAC', 'Engineering'])
    t.equal((await scim('GET', '/Groups?sortBy=members')).status, 400)
  })

  t.test('projection and members in lists', async t => {
    const res = await scim('GET', '/Groups?attributes=displayName&filter=displayName eq "Engineering"')
    t.same(Object.keys(res.body.Resources[0]).sort(), ['displayName', 'id', 'schemas'])
    const full = await scim('GET', '/Groups?filter=displayName eq "Engineering"')
    t.same(full.body.Resources[0].members.map((m: { value: string }) => m.value).sort(), [u1, u2].sort())
  })

  t.test('a listed group with more members than one batch is listed whole', async t => {
    const many = await insertUsers(db, org, 1205)
    const big = await scim('POST', '/Groups', { displayName: 'Zz many members', members: many.map(value => ({ value })) })
    t.equal(big.status, 201)
    t.equal(big.body.members.length, 1205)
    const res = await scim('GET', '/Groups?filter=displayName sw "Zz" or displayName eq "Support"&sortBy=displayName')
    t.same(displayNames(res), ['Support', 'Zz many members'])
    t.same(res.body.Resources[0].members.map((m: { value: string }) => m.value), [u2])
    t.same(res.body.Resources[1].members.map((m: { value: string }) => m.value), [...many].sort())
    t.equal((await scim('DELETE', `/Groups/${big.body.id}`)).status, 204)
  })

  t.test('POST /Groups/.search is the same search with the parameters in the body', async t => {
    const res = await scim('POST', '/Groups/.search', {
      schemas: [SEARCH_REQUEST], filter: 'displayName sw "S"', sortBy: 'displayName', startIndex: 2, count: 2, excludedAttributes: ['members']
    })
    t.equal(res.status, 200)
    t.equal(res.body.totalResults, 3)
    t.same(displayNames(res), ['sales EMEA', 'Support'])
  })
})

/**
 * The SQL of every statement sent, from Kysely's query log: it sees queries compiled once
 * (src/repositories/compiled-once.ts) each time they run, which a plugin does not.
 */
class QueryRecorder {
  readonly executed: string[] = []
  readonly log = (event: LogEvent): void => {
    if (event.level === 'query') this.executed.push(event.query.sql)
  }

  touched (table: string): boolean {
    return this.executed.some(query => new RegExp(`(^|[^a-z_"])"?${table}"?($|[^a-z_"])`).test(query))
  }
}

t.test('excludedAttributes=members never reads group_members', async t => {
  const recorder = new QueryRecorder()
  const { db } = await createTestDatabase(t, { log: recorder.log })
  const config = loadConfig({ LOG_LEVEL: 'silent' })
  const services = createServices(db, config)
  const app = await buildApp(config, { db, services })
  t.teardown(() => app.close())
  const created = await services.tokens.create('acme')
  const scim = scimClient(app, { authorization: `Bearer ${created.token}` })
  const [user] = await insertUsers(db, await organizationId(db), 1) as [string]
  const id = (await scim('POST', '/Groups', { displayName: 'Big one', members: [{ value: user }] })).body.id as string

  const touches = async (url: string): Promise<boolean> => {
    recorder.executed.length = 0
    const res = await scim('GET', url)
    t.equal(res.status, 200, url)
    return recorder.touched('group_members')
  }
  t.equal(await touches(`/Groups/${id}?excludedAttributes=members`), false, 'GET by id')
  t.equal(await touches('/Groups?filter=displayName eq "big one"&excludedAttributes=members'), false, 'Entra lookup')
  t.equal(await touches('/Groups?excludedAttributes=members'), false, 'unfiltered listing (PingFederate)')
  t.equal(await touches('/Groups?attributes=displayName'), false, 'attributes without members')
  const statementsOnGroups = async (url: string): Promise<number> => {
    recorder.executed.length = 0
    const res = await scim('GET', url)
    t.equal(res.status, 200, url)
    t.equal(res.body.totalResults, 1, `${url}: the true total`)
    return recorder.executed.filter(query => query.includes('"groups"')).length
  }
  t.equal(await statementsOnGroups('/Groups?excludedAttributes=members'), 1, 'a page without members: page and total in one statement')
  t.equal(await statementsOnGroups('/Groups?excludedAttributes=members&startIndex=5'), 2, 'past the end: no row carries the total, so it is counted apart')
  t.equal(await touches(`/Groups/${id}`), true, 'control: a GET with members does read it')
  t.equal(await touches('/Groups?count=10'), true, 'control: a list with members does read it')
})
