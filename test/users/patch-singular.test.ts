/**
 * PATCHes of plain singular attributes are written in one statement without reading the user
 * (scim/patch/singular-changes.ts, patchUserSingular). What a client sees must not depend on
 * that: generated PATCHes are sent to two identical users, one as they are (the one-statement
 * path when they qualify) and one with an extra operation that re-sets `name.givenName` to its
 * current value, which changes nothing but sends the request the general way. Status, body,
 * ETag, stored document and the change event's attributes must be the same.
 */
import t from 'tap'
import fc from 'fast-check'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { singularUserChanges } from '../../src/scim/patch/singular-changes.js'
import { USER_RESOURCE } from '../../src/scim/schema/registry.js'

const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JSON_TYPE = { 'content-type': 'application/scim+json; charset=utf-8' }
const GENERAL = { op: 'replace', path: 'name.givenName', value: 'Same' }

const casing = (name: string) => fc.constantFrom(name, name.toLowerCase(), name.toUpperCase())
const stringValue = fc.oneof(fc.constantFrom('', 'Same', 'en-GB', 'Europe/Paris', 'https://example.com/u'), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null))
const activeValue = fc.constantFrom<unknown>(true, false, 'True', 'False', 'true', 'FALSE', 'yes', 1, null)
const attribute = fc.oneof(
  fc.tuple(casing('active'), activeValue),
  fc.tuple(fc.constantFrom('displayName', 'nickName', 'title', 'preferredLanguage', 'locale', 'timezone', 'profileUrl').chain(casing), stringValue)
)
const operation = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'replace', 'Add', 'Replace'), attribute }).map(({ op, attribute: [path, value] }) => ({ op, path, value })),
  fc.record({ op: fc.constantFrom('add', 'replace'), attributes: fc.array(attribute, { minLength: 1, maxLength: 3 }) })
    .map(({ op, attributes }) => ({ op, value: Object.fromEntries(attributes) }))
)

t.test('which PATCHes qualify', async t => {
  const options = { resourceId: 'x', maxValues: 100 }
  t.same(singularUserChanges(USER_RESOURCE, [{ op: 'Replace', path: 'active', value: 'False' }], options), { active: false }, 'Entra')
  t.same(singularUserChanges(USER_RESOURCE, [{ op: 'replace', value: { active: false, Title: 'T' } }], options), { active: false, title: 'T' }, 'path-less')
  t.same(singularUserChanges(USER_RESOURCE, [{ op: 'replace', path: 'title', value: 'A' }, { op: 'add', path: 'title', value: 'B' }], options), { title: 'B' }, 'the last wins')
  for (const [why, operations] of [
    ['remove', [{ op: 'remove', path: 'title' }]],
    ['userName has uniqueness', [{ op: 'replace', path: 'userName', value: 'u' }]],
    ['userType has the membership rule', [{ op: 'replace', path: 'userType', value: 'employee' }]],
    ['a sub-attribute', [{ op: 'replace', path: 'name.givenName', value: 'G' }]],
    ['a filter', [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'a@b.c' }]],
    ['an extension', [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'D' }]],
    ['null', [{ op: 'replace', path: 'title', value: null }]],
    ['a value validation refuses', [{ op: 'replace', path: 'active', value: 'maybe' }]],
    ['one other key', [{ op: 'replace', value: { active: true, id: 'x' } }]],
    ['no operations', []]
  ] as const) t.equal(singularUserChanges(USER_RESOURCE, [...operations], options), undefined, why)
})

t.test('answers kept by the operations text stay exact', async t => {
  const options = { resourceId: 'x', maxValues: 100 }
  // Texts no other test of this file sends, so the first call computes and the second is kept.
  const entra = () => [{ op: 'replace', path: 'active', value: 'True' }, { op: 'Replace', path: 'active', value: 'False' }]
  const first = singularUserChanges(USER_RESOURCE, entra(), options)
  t.same(first, { active: false }, 'computed')
  const second = singularUserChanges(USER_RESOURCE, entra(), options)
  t.equal(second, first, 'the same text gets the kept answer')
  t.ok(Object.isFrozen(first), 'a shared answer cannot be changed by a caller')
  t.equal(singularUserChanges(USER_RESOURCE, entra(), { ...options, resourceId: 'y' }), first, 'whatever the user')
  t.same(singularUserChanges(USER_RESOURCE, [{ op: 'Replace', path: 'active', value: 'perhaps' }], options), undefined, 'a refused value')
  t.same(singularUserChanges(USER_RESOURCE, [{ op: 'Replace', path: 'active', value: 'perhaps' }], options), undefined, 'still refused')
  // More distinct texts than are kept: every one still gets its own answer.
  const wrong: string[] = []
  for (let i = 0; i < 600; i++) {
    const answer = singularUserChanges(USER_RESOURCE, [{ op: 'replace', path: 'title', value: `T${i}` }], options)
    if (answer?.title !== `T${i}` || Object.keys(answer).length !== 1) wrong.push(`T${i}`)
  }
  t.same(wrong, [], '600 distinct texts, each its own answer')
  const early = singularUserChanges(USER_RESOURCE, entra(), options)
  t.same(early, { active: false }, 'an early text after the others')
  t.not(early, first, 'computed again: the oldest answers made room')
  const long = 'x'.repeat(2000)
  const longOnce = singularUserChanges(USER_RESOURCE, [{ op: 'replace', path: 'title', value: long }], options)
  t.same(longOnce, { title: long }, 'a long text is answered')
  t.not(singularUserChanges(USER_RESOURCE, [{ op: 'replace', path: 'title', value: long }], options), longOnce, 'and not kept')
})

t.test('the one-statement PATCH answers and stores what the general path does', async t => {
  const { app, auth, db } = await build(t)
  const headers = { ...auth, ...JSON_TYPE }
  let n = 0
  const create = async () => {
    const res = await app.inject({
      method: 'POST', url: '/scim/v2/Users', headers,
      payload: { userName: `twin${++n}@example.com`, name: { givenName: 'Same' }, displayName: 'Same', title: 'Same', active: true }
    })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json().id as string
  }
  const patch = async (id: string, operations: unknown[], extra: Record<string, string> = {}) =>
    await app.inject({ method: 'PATCH', url: `/scim/v2/Users/${id}`, headers: { ...headers, ...extra }, payload: { schemas: [PATCH_URN], Operations: operations } })
  const lastEvent = async (id: string) => (await sql<{ attributes: string[], resource_version: number }>`
    select attributes, resource_version from events where resource_id = ${id}::uuid order by seq desc limit 1`.execute(db)).rows[0]
  const comparable = (body: Record<string, unknown>) => {
    const { id, meta, userName, ...rest } = body
    void id; void userName
    return { ...rest, version: (meta as { version?: string } | undefined)?.version }
  }

  let qualified = 0
  await fc.assert(fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 4 }), async operations => {
    if (singularUserChanges(USER_RESOURCE, operations, { resourceId: 'x', maxValues: 100 }) !== undefined) qualified++
    const [quick, general] = [await create(), await create()]
    const a = await patch(quick, operations)
    const b = await patch(general, [...operations, GENERAL])
    t.equal(a.statusCode, b.statusCode, `status of ${JSON.stringify(operations)}`)
    if (a.statusCode !== 200) {
      t.same(a.json().scimType, b.json().scimType)
      return
    }
    t.same(comparable(a.json()), comparable(b.json()), `body of ${JSON.stringify(operations)}`)
    t.equal(a.headers.etag, b.headers.etag)
    const [storedA, storedB] = await Promise.all([quick, general].map(async id => {
      const row = await db.selectFrom('users').select(['attributes', 'active', 'display_name', 'version']).where('id', '=', id).executeTakeFirstOrThrow()
      return { ...row, attributes: { ...(row.attributes as Record<string, unknown>), userName: undefined } }
    }))
    t.same(storedA, storedB, 'stored row (but userName, which differs)')
    t.same(await lastEvent(quick), await lastEvent(general), 'event')
  }), { numRuns: 100, seed: 7643 })
  t.ok(qualified >= 30, `${qualified} of 100 generated PATCHes took the one-statement path`)
})

t.test('the one-statement PATCH keeps If-Match, 404 and concurrent writes exact', async t => {
  const { app, auth, db } = await build(t)
  const headers = { ...auth, ...JSON_TYPE }
  const created = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers, payload: { userName: 'race@example.com', active: true } })
  const id = created.json().id as string
  const patch = async (operations: unknown[], extra: Record<string, string> = {}, target = id) =>
    await app.inject({ method: 'PATCH', url: `/scim/v2/Users/${target}`, headers: { ...headers, ...extra }, payload: { schemas: [PATCH_URN], Operations: operations } })

  t.equal((await patch([{ op: 'replace', path: 'active', value: 'False' }], { 'if-match': 'W/"7"' })).statusCode, 412, 'stale If-Match')
  const matched = await patch([{ op: 'replace', path: 'active', value: 'False' }], { 'if-match': 'W/"1"' })
  t.equal(matched.statusCode, 200)
  t.equal(matched.headers.etag, 'W/"2"')
  t.equal(matched.json().active, false)
  const missing = await patch([{ op: 'replace', path: 'active', value: 'False' }], {}, '00000000-0000-4000-8000-000000000000')
  t.equal(missing.statusCode, 404)

  const titles = Array.from({ length: 16 }, (_, i) => `title ${i}`)
  const answers = await Promise.all(titles.map(async title => await patch([{ op: 'replace', path: 'title', value: title }])))
  t.same(answers.map(answer => answer.statusCode), titles.map(() => 200))
  const versions = answers.map(answer => Number(/W\/"(\d+)"/.exec(String(answer.headers.etag))?.[1])).sort((x, y) => x - y)
  t.same(versions, titles.map((_, i) => i + 3), 'each write its own version')
  const events = (await sql<{ resource_version: number, attributes: string[] }>`
    select resource_version, attributes from events where resource_id = ${id}::uuid and resource_version > 2 order by seq`.execute(db)).rows
  t.same(events.map(event => event.resource_version), versions, 'one event per write, in version order')
  t.ok(events.every(event => event.attributes.length === 1 && event.attributes[0] === 'title'))
  const last = answers.find(answer => answer.headers.etag === `W/"${versions.at(-1) ?? 0}"`)
  const stored = (await app.inject({ method: 'GET', url: `/scim/v2/Users/${id}`, headers: auth })).json()
  t.equal(stored.title, last?.json().title, 'the stored title is the last write\'s')
})
