/**
 * Membership PATCH in every form the clients send (CLIENTS.md "Groups"), renames and
 * externalId changes, and the 204/200 answer rule.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { insertUsers, memberIds, organizationId, patchBody, scimClient, sorted } from './group-helpers.js'

t.test('membership PATCH forms', async t => {
  const { app, db, auth, logs } = await build(t)
  const scim = scimClient(app, auth)
  const org = await organizationId(db)
  const [a, b, c, d, e] = await insertUsers(db, org, 5) as [string, string, string, string, string]
  let n = 0
  const group = async (members: string[] = []): Promise<string> => {
    const res = await scim('POST', '/Groups', { displayName: `Group ${++n}`, members: members.map(value => ({ value })) })
    if (res.status !== 201) throw new Error(`create failed: ${res.text}`)
    return res.body.id
  }
  const patch = (id: string, ...ops: unknown[]) => scim('PATCH', `/Groups/${id}`, patchBody(...ops))

  t.test('add a list (Entra $ref null, Okta display), existing members are a silent no-op', async t => {
    const id = await group([a])
    const res = await patch(id, { op: 'Add', path: 'members', value: [{ $ref: null, value: a }, { value: b, display: 'same' }, { value: c, display: 'same' }] })
    t.equal(res.status, 204)
    t.equal(res.text, '', 'no body')
    t.equal(res.headers.etag, 'W/"2"')
    t.same(await memberIds(db, id), sorted([a, b, c]))
    const again = await patch(id, { op: 'add', path: 'members', value: [{ value: a }] })
    t.equal(again.status, 204)
    t.equal(again.headers.etag, 'W/"2"', 'adding an existing member changes nothing, not even the version')
  })

  t.test('remove by members[value eq "id"]', async t => {
    const id = await group([a, b, c])
    const res = await patch(id, { op: 'remove', path: `members[value eq "${b}"]` })
    t.equal(res.status, 204)
    t.same(await memberIds(db, id), sorted([a, c]))
  })

  t.test('Entra remove with path members and a value list removes exactly those', async t => {
    const id = await group([a, b, c, d])
    const res = await patch(id, { op: 'Remove', path: 'members', value: [{ value: a }, { value: c }] })
    t.equal(res.status, 204)
    t.same(await memberIds(db, id), sorted([b, d]), 'the other members stay (not "remove all")')
  })

  t.test('remove of a non-member (or a non-id) succeeds', async t => {
    const id = await group([a])
    t.equal((await patch(id, { op: 'Remove', path: 'members', value: [{ value: e }, { value: 'not-an-id' }] })).status, 204)
    t.equal((await patch(id, { op: 'remove', path: 'members[value eq "not-an-id"]' })).status, 204)
    t.same(await memberIds(db, id), [a])
    const logged = logs.filter(line => line.msg === 'PATCH removed ids that were not members' && line.groupId === id).map(line => line.nonMembersRemoved)
    t.same(logged, [2, 1], 'each no-op removal is logged with its count')
  })

  t.test('remove members without a value empties the group', async t => {
    const id = await group([a, b, c])
    t.equal((await patch(id, { op: 'remove', path: 'members' })).status, 204)
    t.same(await memberIds(db, id), [])
  })

  t.test('replace members with a list sets exactly that list; [] empties', async t => {
    const id = await group([a, b, c])
    t.equal((await patch(id, { op: 'replace', path: 'members', value: [{ value: c }, { value: d }] })).status, 204)
    t.same(await memberIds(db, id), sorted([c, d]))
    t.equal((await patch(id, { op: 'Replace', path: 'members', value: [] })).status, 204)
    t.same(await memberIds(db, id), [])
  })

  t.test('path-less add and replace of {members: […]}', async t => {
    const id = await group([a])
    t.equal((await patch(id, { op: 'add', value: { members: [{ value: b }] } })).status, 204)
    t.same(await memberIds(db, id), sorted([a, b]))
    t.equal((await patch(id, { op: 'replace', value: { members: [{ value: c }] } })).status, 204)
    t.same(await memberIds(db, id), [c])
  })

  t.test('Okta: several removes and an add in one PATCH, applied in order', async t => {
    const id = await group([a, b, c])
    const res = await patch(id,
      { op: 'remove', path: `members[value eq "${a}"]` },
      { op: 'remove', path: `members[value eq "${b}"]` },
      { op: 'add', path: 'members', value: [{ value: d, display: 'd' }, { value: a }] })
    t.equal(res.status, 204)
    t.same(await memberIds(db, id), sorted([a, c, d]), 'a removed then added again is a member')
    await patch(id, { op: 'add', path: 'members', value: [{ value: e }] }, { op: 'remove', path: 'members' })
    t.same(await memberIds(db, id), [], 'remove-all after an add leaves nothing')
  })

  t.test('all or nothing: a failing operation undoes the earlier ones', async t => {
    const id = await group([a])
    const res = await patch(id,
      { op: 'add', path: 'members', value: [{ value: b }] },
      { op: 'replace', path: 'displayName', value: 'Renamed midway' },
      { op: 'remove', path: 'displayName' })
    t.equal(res.status, 400)
    t.same(await memberIds(db, id), [a])
    const current = await scim('GET', `/Groups/${id}`)
    t.equal(current.headers.etag, 'W/"1"')
    t.not(current.body.displayName, 'Renamed midway')
  })

  t.test('all or nothing in the database: a rename refused by the unique index rolls back the member changes', async t => {
    const taken = await group([])
    const takenName = (await scim('GET', `/Groups/${taken}`)).body.displayName
    const id = await group([a])
    const res = await patch(id,
      { op: 'remove', path: `members[value eq "${a}"]` },
      { op: 'add', path: 'members', value: [{ value: b }] },
      { op: 'replace', path: 'displayName', value: String(takenName).toUpperCase() })
    t.equal(res.status, 409)
    t.equal(res.body.scimType, 'uniqueness')
    t.same(await memberIds(db, id), [a], 'the remove and the add were rolled back')
    t.equal((await scim('GET', `/Groups/${id}`)).headers.etag, 'W/"1"')
  })

  t.test('renames: path displayName, and path-less with Okta\'s own id inside', async t => {
    const id = await group([a])
    t.equal((await patch(id, { op: 'Replace', path: 'displayName', value: 'Renamed 1' })).status, 204)
    t.equal((await scim('GET', `/Groups/${id}`)).body.displayName, 'Renamed 1')
    const okta = await patch(id, { op: 'replace', value: { id, displayName: 'Renamed 2' } })
    t.equal(okta.status, 204)
    const current = await scim('GET', `/Groups/${id}`)
    t.equal(current.body.displayName, 'Renamed 2')
    t.equal(current.headers.etag, 'W/"3"')
    t.same(await memberIds(db, id), [a], 'a rename leaves the members alone')
    const otherId = await patch(id, { op: 'replace', value: { id: '2f0a1c5e-0000-4000-8000-000000000000', displayName: 'Renamed 3' } })
    t.equal(otherId.status, 400, 'another id is a mutability error')
    t.equal(otherId.body.scimType, 'mutability')
  })

  t.test('externalId: set, change and remove', async t => {
    const id = await group()
    await patch(id, { op: 'add', path: 'externalId', value: 'ext-9' })
    t.equal((await scim('GET', `/Groups/${id}`)).body.externalId, 'ext-9')
    await patch(id, { op: 'replace', value: { externalId: 'ext-10' } })
    t.equal((await scim('GET', `/Groups/${id}`)).body.externalId, 'ext-10')
    await patch(id, { op: 'remove', path: 'externalId' })
    t.notOk('externalId' in (await scim('GET', `/Groups/${id}`)).body)
  })

  t.test('200 with the resource when attributes or excludedAttributes is asked for', async t => {
    const id = await group([a])
    const excluded = await scim('PATCH', `/Groups/${id}?excludedAttributes=members`, patchBody({ op: 'add', path: 'members', value: [{ value: b }] }))
    t.equal(excluded.status, 200)
    t.equal(excluded.headers.etag, 'W/"2"')
    t.notOk('members' in excluded.body)
    t.equal(excluded.body.meta.version, 'W/"2"')
    const withMembers = await scim('PATCH', `/Groups/${id}?attributes=members.value,displayName`, patchBody({ op: 'add', path: 'members', value: [{ value: c }] }))
    t.equal(withMembers.status, 200)
    t.same(sorted(withMembers.body.members.map((m: { value: string }) => m.value)), sorted([a, b, c]))
    t.same(Object.keys(withMembers.body.members[0]), ['value'], 'members.value only')
    t.notOk('meta' in withMembers.body)
  })

  t.test('malformed member operations are 400 and change nothing', async t => {
    const id = await group([a])
    const cases: Array<[unknown, string]> = [
      [{ op: 'add', path: 'members', value: [{ display: 'no value' }] }, 'invalidValue'],
      [{ op: 'remove', path: 'members[display eq "x"]' }, 'invalidFilter'],
      [{ op: 'add', path: 'members.value', value: b }, 'invalidPath'],
      [{ op: 'move', path: 'members', value: [] }, 'invalidSyntax']
    ]
    for (const [op, scimType] of cases) {
      const res = await patch(id, op)
      t.equal(res.status, 400, JSON.stringify(op))
      t.equal(res.body.scimType, scimType, JSON.stringify(op))
    }
    t.same(await memberIds(db, id), [a])
    const notPatchOp = await scim('PATCH', `/Groups/${id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], Operations: [] })
    t.equal(notPatchOp.status, 400)
  })
})
