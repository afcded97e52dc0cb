import t from 'tap'
import { projectResource, wantsAttribute } from '../../src/scim/projection.js'
import type { ScimProjectionParams } from '../../src/scim/projection.js'
import { ENTERPRISE_USER_SCHEMA as ENT, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA } from '../../src/scim/schema/registry.js'

const meta = { resourceType: 'User', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-02T00:00:00Z', location: 'https://x/Users/u1', version: 'W/"2"' }
const storedUser = Object.freeze({
  schemas: [USER_SCHEMA, ENT],
  id: 'u1',
  externalId: 'ext-1',
  userName: 'ada',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  active: true,
  password: 'hash-or-plain',
  emails: [{ value: 'ada@x.test', type: 'work', primary: true }, { value: 'ada@home.test', type: 'home' }],
  [ENT]: { department: 'R&D', manager: { value: 'm1', displayName: 'Boss' } },
  meta,
  internalColumn: 'never leak'
})
const storedGroup = Object.freeze({
  schemas: [GROUP_SCHEMA],
  id: 'g1',
  displayName: 'Eng',
  members: [{ value: 'u1', display: 'Ada', type: 'User' }],
  meta: { ...meta, resourceType: 'Group' }
})
const projectUser = (params: ScimProjectionParams) => projectResource(USER_RESOURCE, storedUser, params)

t.test('default: everything but returned:never and unknown keys', async t => {
  const { password: _p, internalColumn: _i, ...expected } = storedUser
  t.same(projectUser({}), expected)
  t.same(projectResource(USER_RESOURCE, storedUser), expected)
})

t.test('attributes: only those, plus always (id) and schemas', async t => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [['userName'], { userName: 'ada' }],
    [['USERNAME', 'bogus', 'urn:scim:schemas:core:2.0:userName'], { userName: 'ada' }],
    [['name.givenName'], { name: { givenName: 'Ada' } }],
    [['name.middleName'], {}],
    [['emails.value'], { emails: [{ value: 'ada@x.test' }, { value: 'ada@home.test' }] }],
    [['emails.value', 'emails'], { emails: storedUser.emails }],
    [['emails', 'emails.value'], { emails: storedUser.emails }],
    [['emails.value', 'EMAILS.TYPE'], { emails: [{ value: 'ada@x.test', type: 'work' }, { value: 'ada@home.test', type: 'home' }] }],
    [['meta.lastModified'], { meta: { lastModified: meta.lastModified } }],
    [[`${ENT}:department`], { [ENT]: { department: 'R&D' } }],
    [[`${ENT.toLowerCase()}:MANAGER.value`], { [ENT]: { manager: { value: 'm1' } } }],
    [[ENT], { [ENT]: storedUser[ENT] }],
    [[`${USER_SCHEMA}:name.familyName`], { name: { familyName: 'Lovelace' } }],
    [['password', 'id'], {}],
    [['id'], {}]
  ]
  for (const [attributes, extra] of cases) {
    t.same(projectUser({ attributes }), { schemas: storedUser.schemas, id: 'u1', ...extra }, attributes.join(','))
  }
})

t.test('attributes wins over excludedAttributes; blank attributes mean none given', async t => {
  t.same(projectUser({ attributes: ['userName'], excludedAttributes: ['userName'] }), { schemas: storedUser.schemas, id: 'u1', userName: 'ada' })
  t.notOk('emails' in projectUser({ attributes: [' '], excludedAttributes: ['emails'] }))
})

t.test('excludedAttributes: default set minus those; always stays', async t => {
  const cases: Array<[string[], string[], string[]]> = [
    // excluded, keys that must be gone, keys that must stay
    [['emails'], ['emails'], ['userName', 'name', ENT]],
    [['id', 'schemas'], [], ['id', 'schemas']],
    [[ENT], [ENT], ['userName']],
    [[`${ENT}:department`, `${ENT}:manager`], [ENT], ['userName']],
    [['meta', 'NAME', 'active', 'externalId', 'userName'], ['meta', 'name', 'active', 'externalId', 'userName'], ['id', 'emails']],
    [['nonsense', 'name.nope'], ['password'], ['name', 'userName']]
  ]
  for (const [excludedAttributes, gone, kept] of cases) {
    const out = projectUser({ excludedAttributes })
    for (const k of gone) t.notOk(k in out, `${excludedAttributes.join(',')}: ${k} gone`)
    for (const k of kept) t.ok(k in out, `${excludedAttributes.join(',')}: ${k} kept`)
  }
  t.same(projectUser({ excludedAttributes: ['name.givenName'] }).name, { familyName: 'Lovelace' })
  t.same(projectUser({ excludedAttributes: ['emails.value', 'emails.primary'] }).emails, [{ type: 'work' }, { type: 'home' }])
  t.same(projectUser({ excludedAttributes: ['meta.version', 'meta.location'] }).meta, { resourceType: 'User', created: meta.created, lastModified: meta.lastModified })
})

t.test('groups: excludedAttributes=members drops the key; empty members stay', async t => {
  t.same(projectResource(GROUP_RESOURCE, storedGroup, { excludedAttributes: ['members'] }), { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'Eng', meta: storedGroup.meta })
  t.same(projectResource(GROUP_RESOURCE, { ...storedGroup, members: [] }).members, [])
  t.same(projectResource(GROUP_RESOURCE, storedGroup, { attributes: ['members.value'] }).members, [{ value: 'u1' }])
  t.same(projectResource(GROUP_RESOURCE, { ...storedGroup, members: [{ type: 'User' }] }, { attributes: ['members.value'] }), { schemas: [GROUP_SCHEMA], id: 'g1' })
})

t.test('input is not modified; null values and odd shapes pass through safely', async t => {
  const obj = { schemas: [USER_SCHEMA], id: 'u', userName: 'a', nickName: null, name: 'not-an-object', emails: ['bare'], [ENT]: 'x' }
  const copy = JSON.parse(JSON.stringify(obj))
  t.same(projectResource(USER_RESOURCE, obj), { schemas: [USER_SCHEMA], id: 'u', userName: 'a', name: 'not-an-object', emails: ['bare'] })
  t.same(obj, copy)
})

t.test('wantsAttribute', async t => {
  const cases: Array<[ScimProjectionParams, string, boolean]> = [
    [{}, 'members', true],
    [{ excludedAttributes: ['members'] }, 'members', false],
    [{ excludedAttributes: ['MEMBERS'] }, 'members', false],
    [{ attributes: ['displayName'] }, 'members', false],
    [{ attributes: ['members.value'] }, 'members', true],
    [{ attributes: ['members.value'] }, 'members.value', true],
    [{ attributes: ['members.value'] }, 'members.display', false],
    [{ excludedAttributes: ['members.display'] }, 'members', true],
    [{ excludedAttributes: ['displayName'] }, 'id', true],
    [{}, 'nope', false]
  ]
  for (const [params, name, want] of cases) t.equal(wantsAttribute(GROUP_RESOURCE, params, name), want, `${JSON.stringify(params)} ${name}`)
  t.equal(wantsAttribute(USER_RESOURCE, {}, 'password'), false)
  t.equal(wantsAttribute(USER_RESOURCE, { attributes: ['userName'] }, ENT), false)
  t.equal(wantsAttribute(USER_RESOURCE, { attributes: [`${ENT}:department`] }, ENT), true)
  t.equal(wantsAttribute(USER_RESOURCE, { attributes: ['userName'] }, USER_SCHEMA), true, 'id is always returned')
})

t.test('a value filter in attributes returns only the matching elements', async t => {
  const base = { schemas: storedUser.schemas, id: 'u1' }
  t.same(projectUser({ attributes: ['emails[type eq "work"]'] }), { ...base, emails: [{ value: 'ada@x.test', type: 'work', primary: true }] })
  t.same(projectUser({ attributes: ['emails[value eq "ADA@HOME.TEST"]'] }), { ...base, emails: [{ value: 'ada@home.test', type: 'home' }] })
  t.same(projectUser({ attributes: ['emails[type eq "work"].value'] }), { ...base, emails: [{ value: 'ada@x.test' }] })
  t.same(projectUser({ attributes: ['emails[type eq "other"]'] }), base, 'no element matches: the attribute is left out')
  t.same(projectUser({ attributes: ['emails[type eq'] }), base, 'a malformed name is ignored like an unknown one')
  t.same(projectUser({ excludedAttributes: ['emails[type eq "work"]'] }).emails, storedUser.emails, 'ignored in excludedAttributes')
})

t.test('one parameters object for many resources and both types: each projected as if alone', async t => {
  // Plans are kept by parameters and resource type (projection.ts): a list projects every
  // resource of its page with the request's one parameters object.
  const shared: ScimProjectionParams = { attributes: ['displayName', 'userName', 'members.value', `${ENT}:department`] }
  const fresh = (): ScimProjectionParams => ({ attributes: [...shared.attributes as string[]] })
  for (let i = 0; i < 3; i++) {
    t.same(projectResource(GROUP_RESOURCE, storedGroup, shared), projectResource(GROUP_RESOURCE, storedGroup, fresh()), `group, time ${i + 1}`)
    t.same(projectResource(USER_RESOURCE, storedUser, shared), projectResource(USER_RESOURCE, storedUser, fresh()), `user, time ${i + 1}`)
  }
  t.same(projectResource(GROUP_RESOURCE, storedGroup, shared), { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'Eng', members: [{ value: 'u1' }] })
  t.same(projectResource(USER_RESOURCE, storedUser, shared), { schemas: storedUser.schemas, id: 'u1', userName: 'ada', [ENT]: { department: 'R&D' } })
  t.equal(wantsAttribute(GROUP_RESOURCE, shared, 'members.display'), false)
  t.equal(wantsAttribute(USER_RESOURCE, shared, 'emails'), false)
})

t.test('plans kept by parameters: distinct ones past the cache size, and huge ones, still project exactly', async t => {
  const expected = { schemas: storedUser.schemas, id: 'u1', userName: 'ada' }
  for (let i = 0; i < 600; i++) {
    const params = { attributes: [`unknown${i}`, 'userName'] }
    if (i % 50 === 0) t.same(projectUser(params), expected, `distinct parameters ${i}`)
    else projectUser(params)
  }
  t.same(projectUser({ attributes: ['userName'] }), expected, 'a plan cached before the cache started over')
  const huge = { attributes: [...Array.from({ length: 2000 }, (_, i) => `unknown${i}`), 'userName'] }
  t.same(projectUser(huge), expected, 'parameters too long to keep a plan for')
  t.same(projectUser({ excludedAttributes: ['emails', 'userName'] }).userName, undefined, 'excludedAttributes keyed apart from attributes')
  t.same(projectUser({ attributes: ['emails', 'userName'] }).userName, 'ada')
})
