/**
 * A user's `groups` is complete or the request fails, never cut: users in more groups than
 * one statement carries are streamed from a snapshot; MAX_INLINE_MEMBERS refuses a read
 * before anything is sent.
 */
import { sql } from 'kysely'
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { serializeJsonChunks } from '../../src/scim/json-stream.js'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'
import { insertUsers, organizationId, patchBody, scimClient } from '../groups/group-helpers.js'

/** Makes `count` new groups with `userId` as their only member; returns their ids by id. */
async function joinGroups (db: Db, organization: string, userId: string, count: number): Promise<string[]> {
  const prefix = `G${Math.random().toString(36).slice(2, 8)}-`
  await sql`
    insert into groups (organization_id, display_name, attributes)
    select ${organization}::uuid, ${prefix} || i, '{}'::jsonb from generate_series(1, ${count}::int) as i`.execute(db)
  await sql`
    insert into group_members (organization_id, group_id, user_id)
    select ${organization}::uuid, id, ${userId}::uuid from groups
    where organization_id = ${organization}::uuid and display_name like ${prefix + '%'}`.execute(db)
  const rows = await db.selectFrom('groups').select('id').where('display_name', 'like', `${prefix}%`).orderBy('id').execute()
  return rows.map(row => row.id)
}

const valuesOf = (groups: Array<{ value: string }> | undefined): string[] => (groups ?? []).map(group => group.value)

t.test('users in many groups', async t => {
  const { app, db, auth, services } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [many, some, none] = await insertUsers(db, org, 3) as [string, string, string]
  const manyGroups = await joinGroups(db, org, many, 1_200)
  const someGroups = await joinGroups(db, org, some, 150)

  t.test('GET /Users/{id} lists every group, by group id, past what one statement carries', async t => {
    const res = await scim('GET', `/Users/${many}`)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^application\/scim\+json; charset=utf-8/)
    t.same(valuesOf(res.body.groups), manyGroups)
    t.match(res.body.groups[0], { value: manyGroups[0], $ref: `http://localhost:80/scim/v2/Groups/${manyGroups[0] as string}`, display: /^G/, type: 'direct' })
    t.equal(res.headers.etag, res.body.meta.version)
    const projected = await scim('GET', `/Users/${many}?attributes=groups.value`)
    t.same(projected.body.groups.length, 1_200)
    t.same(Object.keys(projected.body.groups[1_100]), ['value'], 'projection applies to the streamed pages')
    const notModified = await scim('GET', `/Users/${many}`, undefined, { 'if-none-match': res.headers.etag as string })
    t.equal(notModified.status, 304)
  })

  t.test('a list page with a user in more groups than a page row carries lists all of them', async t => {
    const res = await scim('GET', '/Users?count=10')
    t.equal(res.status, 200)
    t.equal(res.body.totalResults, 3)
    const byId = new Map(res.body.Resources.map((user: { id: string, groups: Array<{ value: string }> }) => [user.id, valuesOf(user.groups)]))
    t.same(byId.get(many), manyGroups)
    t.same(byId.get(some), someGroups)
    t.same(byId.get(none), [])
    const search = await scim('POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `id eq "${some}"`, attributes: ['groups'] })
    t.same(valuesOf(search.body.Resources[0].groups), someGroups)
    const cursor = await scim('GET', '/Users?cursor=&count=3')
    t.equal(cursor.status, 200)
    t.same(cursor.body.Resources.map((user: { groups: unknown[] }) => user.groups.length).sort((a: number, b: number) => a - b), [0, 150, 1_200], 'cursor pages too')
  })

  t.test('PATCH answers with every group', async t => {
    const res = await scim('PATCH', `/Users/${many}`, patchBody({ op: 'replace', path: 'displayName', value: 'Many' }))
    t.equal(res.status, 200)
    t.equal(res.body.displayName, 'Many')
    t.same(valuesOf(res.body.groups), manyGroups)
  })

  t.test('one snapshot: a membership removed mid-stream still shows, with the old version', { skip: usingEmbedded() && 'embedded Postgres has one connection: a write waits for the read' }, async t => {
    const scope = { organizationId: org, baseUrl: 'http://x/scim/v2' }
    const result = await services.users.get(scope, many)
    const chunks = serializeJsonChunks(result.body)
    const first = await chunks.next()
    t.notOk(first.done)
    const last = manyGroups[manyGroups.length - 1] as string
    await services.groups.patch(scope, last, patchBody({ op: 'remove', path: `members[value eq "${many}"]` }), undefined, undefined)
    let text = first.value as string
    for await (const chunk of chunks) text += chunk
    await result.release()
    t.same(valuesOf(JSON.parse(text).groups), manyGroups)
    t.equal((await scim('GET', `/Users/${many}`)).body.groups.length, 1_199, 'the removal did commit')
  })
})

t.test('MAX_INLINE_MEMBERS refuses a user read that would list more groups', async t => {
  const { app, db, auth } = await build(t, { MAX_INLINE_MEMBERS: '5' })
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [user] = await insertUsers(db, org, 1) as [string]
  await joinGroups(db, org, user, 6)
  const refused = await scim('GET', `/Users/${user}`)
  t.equal(refused.status, 400)
  t.match(refused.body, { scimType: 'tooMany', detail: /more than 5 groups.*excludedAttributes=groups.*members\[value eq/ })
  t.equal((await scim('GET', '/Users')).status, 400, 'a list page too: never a shorter list')
  t.equal((await scim('GET', `/Users/${user}?excludedAttributes=groups`)).status, 200, 'the advice works')
  t.equal((await scim('GET', `/Groups?filter=members[value eq "${user}"]&excludedAttributes=members`)).body.totalResults, 6)
  const patched = await scim('PATCH', `/Users/${user}`, patchBody({ op: 'replace', path: 'title', value: 'x' }))
  t.equal(patched.status, 200, 'a write is not refused for its response')
  t.equal(patched.body.groups.length, 6)
})
