/**
 * Member lists are complete or the request fails (never a shorter list): reads stream the
 * members from one snapshot, MAX_INLINE_MEMBERS refuses before anything is sent, a client
 * that goes away mid-stream releases the snapshot.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { serializeJson } from '../../src/scim/json-stream.js'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'
import { insertUsers, memberIds, organizationId, patchBody, scimClient } from './group-helpers.js'

const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
/** One more than the old inline ceiling (100 000), which main cut silently. */
const BIG = 100_001

/** A group of `count` new customer users, inserted set-wise (fast for 100k). */
async function seedGroup (db: Db, organization: string, name: string, count: number): Promise<string> {
  const group = await db.insertInto('groups').values({ organization_id: organization, display_name: name, attributes: '{}' })
    .returning('id').executeTakeFirstOrThrow()
  const prefix = `${name.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}-`
  await sql`
    insert into users (organization_id, user_name, display_name, user_type, active, attributes)
    select ${organization}::uuid, ${prefix} || i || '@example.com', 'Member ' || i, 'customer', true,
      jsonb_build_object('userName', ${prefix} || i || '@example.com', 'userType', 'customer', 'active', true)
    from generate_series(1, ${count}::int) as i`.execute(db)
  await sql`
    insert into group_members (organization_id, group_id, user_id)
    select ${organization}::uuid, ${group.id}::uuid, id from users
    where organization_id = ${organization}::uuid and user_name like ${prefix + '%'}`.execute(db)
  return group.id
}

async function openTransactions (db: Db): Promise<number> {
  const row = await sql<{ count: number }>`
    select count(*)::int as count from pg_stat_activity
    where datname = current_database() and state like 'idle in transaction%'`.execute(db)
  return row.rows[0]?.count ?? 0
}

async function eventually (check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return false
}

t.test('a group larger than the old inline ceiling, with default settings', async t => {
  const { app, db, auth, logs, services } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const id = await seedGroup(db, org, 'Everyone', BIG)
  const all = await memberIds(db, id)
  t.equal(all.length, BIG)

  t.test('GET lists every member, in id order, with the version of the ETag', async t => {
    const res = await scim('GET', `/Groups/${id}`)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^application\/scim\+json; charset=utf-8/)
    t.equal(res.body.members.length, BIG)
    t.same(res.body.members.map((m: { value: string }) => m.value), all, 'complete, first to last by id')
    t.match(res.body.members[0], { value: all[0], display: /^Member \d+$/, $ref: `http://localhost:80/scim/v2/Users/${all[0]}`, type: 'User' })
    t.equal(res.headers.etag, 'W/"1"')
    t.equal(res.body.meta.version, 'W/"1"')
    t.same(Object.keys(res.body), ['schemas', 'id', 'displayName', 'members', 'meta'])
  })

  t.test('list pages and .search list every member too', async t => {
    const listed = await scim('GET', '/Groups?filter=displayName eq "everyone"')
    t.equal(listed.status, 200)
    t.equal(listed.body.totalResults, 1)
    t.equal(listed.body.Resources[0].members.length, BIG)
    t.equal(listed.body.Resources[0].members[BIG - 1].value, all[BIG - 1])
    const searched = await scim('POST', '/Groups/.search', { schemas: [SEARCH_REQUEST], filter: 'displayName eq "Everyone"', attributes: ['members.value'] })
    t.equal(searched.status, 200)
    t.same(searched.body.Resources[0].members.map((m: { value: string }) => m.value), all)
    t.same(Object.keys(searched.body.Resources[0].members[0]), ['value'], 'projection applies to streamed members')
  })

  t.test('If-None-Match with the current ETag is 304, and the read is released', async t => {
    const res = await scim('GET', `/Groups/${id}`, undefined, { 'if-none-match': 'W/"1"' })
    t.equal(res.status, 304)
    t.equal(res.text, '')
    if (!usingEmbedded()) t.ok(await eventually(async () => await openTransactions(db) === 0), 'no transaction left open')
    t.equal((await scim('GET', `/Groups/${id}?excludedAttributes=members`)).status, 200, 'the service still answers')
  })

  t.test('a write whose response would list the large group streams it after the commit', async t => {
    const renamed = await scim('PUT', `/Groups/${id}`, { displayName: 'Everyone 2' })
    t.equal(renamed.status, 200)
    t.equal(renamed.headers.etag, 'W/"2"')
    t.equal(renamed.body.displayName, 'Everyone 2')
    t.equal(renamed.body.members.length, BIG, 'PUT without members keeps them, and shows them all')
    const patched = await scim('PATCH', `/Groups/${id}?attributes=members`, patchBody({ op: 'replace', path: 'displayName', value: 'Everyone' }))
    t.equal(patched.status, 200)
    t.equal(patched.body.members.length, BIG)
    t.equal(patched.headers.etag, 'W/"3"')
  })

  t.test('a client that disconnects mid-stream stops the work and releases the snapshot', async t => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    t.ok(address)
    const received = await new Promise<number>((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: `/scim/v2/Groups/${id}`, headers: auth }, response => {
        response.once('data', (chunk: Buffer) => {
          request.destroy()
          resolve(chunk.length)
        })
      })
      request.on('error', error => { if (!request.destroyed) reject(error) })
    })
    t.ok(received > 0 && received < 5_000_000, 'only the start of the body was read')
    t.ok(await eventually(() => logs.some(line => line.msg === 'streamed response abandoned before its end')), 'the abandon is logged')
    if (!usingEmbedded()) t.ok(await eventually(async () => await openTransactions(db) === 0), 'no transaction left open')
    // Embedded Postgres has one connection: a leaked snapshot would block this forever.
    const next = await Promise.race([
      services.groups.get({ organizationId: org, baseUrl: 'http://x/scim/v2' }, id, { excludedAttributes: ['members'] }).then(result => result.version),
      new Promise(resolve => setTimeout(() => resolve('timed out'), 5000))
    ])
    t.equal(next, 3, 'the database is free again')
  })
})

t.test('a streamed read is one snapshot: a write committed mid-stream does not show', { skip: usingEmbedded() && 'embedded Postgres has one connection: a write waits for the read' }, async t => {
  const { db, services } = await build(t)
  const org = await organizationId(db)
  const id = await seedGroup(db, org, 'Snapshot', 25_000)
  const before = await memberIds(db, id)
  const scope = { organizationId: org, baseUrl: 'http://x/scim/v2' }
  const result = await services.groups.get(scope, id)
  const { serializeJsonChunks } = await import('../../src/scim/json-stream.js')
  const chunks = serializeJsonChunks(result.body)
  const first = await chunks.next()
  t.notOk(first.done)
  // Between the first page and the rest: remove every member and rename (version 2).
  await services.groups.patch(scope, id, patchBody({ op: 'remove', path: 'members' }, { op: 'replace', path: 'displayName', value: 'Renamed' }), undefined, undefined)
  let text = first.value as string
  for await (const chunk of chunks) text += chunk
  await result.release()
  const body = JSON.parse(text)
  t.equal(body.meta.version, 'W/"1"')
  t.equal(body.displayName, 'Snapshot')
  t.same(body.members.map((m: { value: string }) => m.value), before, 'all 25 000 members of version 1')
  t.same(await memberIds(db, id), [], 'the write did commit')
})

t.test('MAX_INLINE_MEMBERS refuses a read that would list more, before sending anything', async t => {
  const { app, db, auth } = await build(t, { MAX_INLINE_MEMBERS: '11' })
  const scim = scimClient(app, auth)
  const users = await insertUsers(db, await organizationId(db), 12)

  const created = await scim('POST', '/Groups', { displayName: 'Twelve', members: users.map(value => ({ value })) })
  t.equal(created.status, 201, 'a write is never refused for its response')
  t.equal(created.body.members.length, 12, 'and lists every member')
  const refused = await scim('GET', `/Groups/${created.body.id}`)
  t.equal(refused.status, 400)
  t.match(refused.body, { status: '400', scimType: 'tooMany', detail: /more than 11 members.*excludedAttributes=members.*members\[value eq/ })
  t.match(refused.headers['content-type'], /^application\/scim\+json/)
  const without = await scim('GET', `/Groups/${created.body.id}?excludedAttributes=members`)
  t.equal(without.status, 200, 'the advice works')
  const probe = await scim('GET', `/Groups?filter=${encodeURIComponent(`id eq "${created.body.id}" and members[value eq "${users[3] as string}"]`)}&excludedAttributes=members`)
  t.equal(probe.body.totalResults, 1)

  for (const name of ['Four A', 'Four B', 'Four C']) {
    t.equal((await scim('POST', '/Groups', { displayName: name, members: users.slice(0, 4).map(value => ({ value })) })).status, 201)
  }
  const page = await scim('GET', '/Groups?filter=displayName sw "Four"&sortBy=displayName')
  t.equal(page.status, 400, '12 members on one page: refused whole, no group shows members: []')
  t.equal(page.body.scimType, 'tooMany')
  const two = await scim('GET', '/Groups?filter=displayName sw "Four"&sortBy=displayName&count=2')
  t.same(two.body.Resources.map((g: { members: unknown[] }) => g.members.length), [4, 4], 'a smaller page fits')
})

t.test('with a ceiling that fits, every group of a page lists every member', async t => {
  const { app, db, auth } = await build(t, { MAX_INLINE_MEMBERS: '12' })
  const scim = scimClient(app, auth)
  const users = await insertUsers(db, await organizationId(db), 4)
  for (const name of ['Budget A', 'Budget B', 'Budget C']) {
    t.equal((await scim('POST', '/Groups', { displayName: name, members: users.map(value => ({ value })) })).status, 201)
  }
  const listed = await scim('GET', '/Groups?filter=displayName sw "Budget"&sortBy=displayName')
  t.same(listed.body.Resources.map((g: { members?: unknown[] }) => g.members?.length), [4, 4, 4])
})

t.test('serializeJson: the same text as JSON.stringify for a document without streamed arrays', async t => {
  const document = { a: [1, { b: 'x"\u2028' }], c: null, d: 'é' }
  t.equal(await serializeJson(document), JSON.stringify(document))
})
