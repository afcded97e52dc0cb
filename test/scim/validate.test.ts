import t from 'tap'
import { canonicaliseAttributes, canonicaliseValue, validateResource } from '../../src/scim/validate.js'
import {
  ENTERPRISE_USER_SCHEMA as ENT, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA, findAttribute
} from '../../src/scim/schema/registry.js'

const catchError = (fn: () => unknown): unknown => {
  try { fn() } catch (error) { return error }
  return undefined
}
const user = (body: unknown, mode: 'create' | 'replace' = 'create') => validateResource(USER_RESOURCE, body, { mode })
const group = (body: unknown) => validateResource(GROUP_RESOURCE, body, { mode: 'create' })
const attr = (name: string) => findAttribute(USER_RESOURCE, undefined, name)!.attribute

t.test('booleans as strings in any case become booleans', async t => {
  const cases: Array<[unknown, boolean]> = [[true, true], [false, false], ['True', true], ['False', false], ['false', false], ['TRUE', true]]
  for (const [active, want] of cases) t.equal(user({ userName: 'a', active }).active, want, JSON.stringify(active))
  t.match(user({ userName: 'a', roles: [{ value: 'r', primary: 'True' }] }).roles, [{ value: 'r', primary: true }])
})

t.test('a bad boolean is 400 invalidValue naming the attribute', async t => {
  for (const active of ['yes', 1, 0, '', {}, ['true']]) {
    t.match(catchError(() => user({ userName: 'a', active })), { status: 400, scimType: 'invalidValue', message: /"active"/ }, JSON.stringify(active))
  }
  t.match(catchError(() => user({ userName: 'a', emails: [{ value: 'x', primary: 'maybe' }] })), { scimType: 'invalidValue', message: /emails\[0\]\.primary/ })
})

t.test('OneLogin: emails as one object is a one-element list', async t => {
  t.same(user({ userName: 'a', emails: { value: 'a@x.test', type: 'work', primary: true } }).emails, [{ value: 'a@x.test', type: 'work', primary: true }])
})

t.test('things clients send that are ignored, not rejected', async t => {
  const out = user({
    schemas: ['urn:scim:schemas:core:2.0', USER_SCHEMA, 'urn:example:unknown'],
    id: 'client-made-up',
    userName: 'a',
    meta: { resourceType: 'User', created: 'yesterday' },
    roles: [],
    groups: [{ value: 'g1', display: 'G' }],
    password: 's3cret!',
    locale: 'en-US',
    unknownThing: 42
  })
  t.same(out, { schemas: [USER_SCHEMA], userName: 'a', userType: 'customer', locale: 'en-US', password: 's3cret!', roles: [] })
})

t.test('attribute names in any case are written back in canonical case', async t => {
  const out = user({
    USERNAME: 'a',
    Name: { GivenName: 'Ada', familyname: 'L' },
    Emails: [{ Value: 'a@x.test', Primary: 'True', TYPE: 'work' }],
    [ENT.toLowerCase()]: { Department: 'R&D', Manager: { Value: '42', DisplayName: 'ignored' } }
  })
  t.same(out, {
    schemas: [USER_SCHEMA, ENT],
    userName: 'a',
    name: { givenName: 'Ada', familyName: 'L' },
    userType: 'customer',
    emails: [{ value: 'a@x.test', primary: true, type: 'work' }],
    [ENT]: { department: 'R&D', manager: { value: '42' } }
  })
})

t.test('manager forms', async t => {
  const cases: Array<[unknown, unknown]> = [
    ['271', { manager: { value: '271' } }],
    [{ value: '271' }, { manager: { value: '271' } }],
    [{ Value: '271', $ref: '../Users/271' }, { manager: { value: '271', $ref: '../Users/271' } }],
    [null, undefined],
    ['', undefined],
    [{ displayName: 'only read-only' }, undefined]
  ]
  for (const [manager, want] of cases) t.same(user({ userName: 'a', [ENT]: { manager } })[ENT], want, JSON.stringify(manager))
  t.match(catchError(() => user({ userName: 'a', [ENT]: { manager: true } })), { scimType: 'invalidValue' })
  t.match(catchError(() => user({ userName: 'a', [ENT]: 'R&D' })), { scimType: 'invalidValue' })
})

t.test('at most one primary', async t => {
  const emails = [{ value: 'a', primary: true }, { value: 'b', primary: 'True' }]
  t.match(catchError(() => user({ userName: 'a', emails })), { status: 400, scimType: 'invalidValue', message: /primary/ })
  t.ok(user({ userName: 'a', emails: [{ value: 'a', primary: true }, { value: 'b', primary: false }] }))
})

t.test('required attributes', async t => {
  for (const body of [{}, { userName: '' }, { userName: null }, { username: undefined }]) {
    t.match(catchError(() => user(body)), { status: 400, scimType: 'invalidValue', message: /"userName" is required/ }, JSON.stringify(body))
  }
  t.match(catchError(() => group({ members: [] })), { scimType: 'invalidValue', message: /displayName/ })
  t.match(catchError(() => user([])), { status: 400, scimType: 'invalidSyntax' })
  t.match(catchError(() => user('x')), { status: 400, scimType: 'invalidSyntax' })
})

t.test('types are checked', async t => {
  const bad: Array<[string, unknown]> = [
    ['userName', true], ['userName', {}], ['name', 'Ada'], ['profileUrl', 7], ['emails', [true]], ['active', 'on'],
    ['x509Certificates', [{ value: 'not base64!' }]]
  ]
  for (const [key, value] of bad) {
    t.match(catchError(() => user({ userName: 'a', [key]: value })), { scimType: 'invalidValue' }, `${key}=${JSON.stringify(value)}`)
  }
  // a number for a string attribute is read as its text; a bare value for a complex value-bearing element is { value }
  t.equal(user({ userName: 5.5 }).userName, '5.5')
  t.same(user({ userName: 'a', emails: ['a@x.test'] }).emails, [{ value: 'a@x.test' }])
  t.same(user({ userName: 'a', [ENT]: { employeeNumber: 1234 } })[ENT], { employeeNumber: '1234' })
  t.same(user({ userName: 'a', x509Certificates: [{ value: 'TUlJQw==' }] }).x509Certificates, [{ value: 'TUlJQw==' }])
})

t.test('userType defaults to customer and accepts any string', async t => {
  t.equal(user({ userName: 'a' }).userType, 'customer')
  t.equal(user({ userName: 'a', userType: '' }, 'replace').userType, 'customer')
  t.equal(user({ userName: 'a', userType: 'Administrator' }).userType, 'Administrator')
  t.equal(user({ userName: 'a', userType: 'contractor' }, 'replace').userType, 'contractor')
  t.equal(group({ displayName: 'G' }).userType, undefined)
})

t.test('Okta PUT of our own GET body', async t => {
  const body = {
    schemas: [USER_SCHEMA, ENT],
    id: 'b2c1',
    externalId: 'okta-1',
    userName: 'ada@x.test',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
    emails: [{ value: 'ada@x.test', type: 'work', primary: true }],
    groups: [{ value: 'g1', display: 'Eng', $ref: 'https://x/Groups/g1' }],
    password: 'new-pass',
    [ENT]: { department: 'Eng', manager: { value: 'm1', displayName: 'Boss' } },
    meta: { resourceType: 'User', created: '2024-01-01 10:00:00', lastModified: 'Tue Jan 2 2024', version: 'W/"1"' }
  }
  const snapshot = JSON.stringify(body)
  const out = user(body, 'replace')
  t.equal(JSON.stringify(body), snapshot, 'input not mutated')
  t.same(out, {
    schemas: [USER_SCHEMA, ENT],
    externalId: 'okta-1',
    userName: 'ada@x.test',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    userType: 'customer',
    active: true,
    password: 'new-pass',
    emails: [{ value: 'ada@x.test', type: 'work', primary: true }],
    [ENT]: { department: 'Eng', manager: { value: 'm1' } }
  })
  t.not(out.emails, body.emails, 'fresh arrays')
})

t.test('groups: Entra schema URI, meta, members with display and $ref null', async t => {
  const out = group({
    schemas: [GROUP_SCHEMA, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
    displayName: 'Sales Team EMEA',
    meta: { resourceType: 'Group' },
    Members: [{ $ref: null, value: 'u1', display: 'same' }, { VALUE: 'u2', display: 'same', type: 'User' }]
  })
  t.same(out, { schemas: [GROUP_SCHEMA], displayName: 'Sales Team EMEA', members: [{ value: 'u1' }, { value: 'u2', type: 'User' }] })
  t.same(group({ displayName: 'G', members: [] }).members, [])
  t.same(group({ displayName: 'G', members: null }).members, undefined)
  // the extension of another resource type is unknown here: ignored
  t.same(group({ displayName: 'G', [ENT]: { department: 'x' } }), { schemas: [GROUP_SCHEMA], displayName: 'G' })
})

t.test('extension: empty object dropped, duplicated keys in two cases merge', async t => {
  t.same(user({ userName: 'a', [ENT]: {} }).schemas, [USER_SCHEMA])
  t.same(user({ userName: 'a', [ENT]: null }).schemas, [USER_SCHEMA])
  t.same(user({ userName: 'a', [ENT]: { department: 'D' }, [ENT.toUpperCase()]: { division: 'V' } })[ENT], { department: 'D', division: 'V' })
})

t.test('canonicaliseValue for the PATCH engine', async t => {
  t.same(canonicaliseValue(attr('emails'), { Value: 'a@x', primary: 'true' }), [{ value: 'a@x', primary: true }])
  t.same(canonicaliseValue(attr('emails'), { Value: 'a@x' }, { element: true }), { value: 'a@x' })
  t.equal(canonicaliseValue(attr('active'), 'False'), false)
  t.equal(canonicaliseValue(attr('active'), null), undefined)
  t.same(canonicaliseValue(attr('groups'), [{ value: 'g', display: 'G' }], { keepReadOnly: true }), [{ value: 'g', display: 'G' }])
  t.match(catchError(() => canonicaliseValue(attr('active'), 'nah', { path: 'active' })), { message: /"active"/ })
  const dt = { name: 'when', type: 'dateTime', multiValued: false, description: '', required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' } as const
  t.equal(canonicaliseValue(dt, '2024-01-02T03:04:05Z'), '2024-01-02T03:04:05Z')
  t.equal(canonicaliseValue(dt, '2024-01-02T03:04:05.123+02:00'), '2024-01-02T03:04:05.123+02:00')
  for (const bad of ['2024-01-02', '2024-13-45T99:00:00Z', 5]) t.match(catchError(() => canonicaliseValue(dt, bad)), { scimType: 'invalidValue' })
  const int = { ...dt, name: 'n', type: 'integer' } as const
  const dec = { ...dt, name: 'd', type: 'decimal' } as const
  t.equal(canonicaliseValue(int, 3), 3)
  t.match(catchError(() => canonicaliseValue(int, 3.5)), { scimType: 'invalidValue' })
  t.equal(canonicaliseValue(dec, 3.5), 3.5)
  t.match(catchError(() => canonicaliseValue(dec, '3.5')), { scimType: 'invalidValue' })
  t.same(canonicaliseAttributes(USER_RESOURCE.extensions[0]!.attributes, { COSTCENTER: 'c', bogus: 1 }), { costCenter: 'c' })
})

t.test('a wrong type nested thousands deep is described in O(1), not serialized', async t => {
  let deep: unknown = []
  for (let i = 0; i < 100_000; i++) deep = [deep]
  t.match(catchError(() => user({ userName: 'deep@example.com', name: deep })),
    { status: 400, scimType: 'invalidValue', detail: /"name" must be an object; got an array of 1/ })
  t.match(catchError(() => user({ userName: 'bad\ud800' })),
    { status: 400, scimType: 'invalidValue', detail: /"userName" contains a lone UTF-16 surrogate/ })
})
