import t from 'tap'
import {
  ALL_SCHEMAS, ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, RESOURCE_SCHEMAS, USER_RESOURCE, USER_SCHEMA,
  findAttribute, findResourceSchema, findSchemaUri, findSubAttribute, isSortable, listSortablePaths,
  resolveAttributeName, splitUrnPrefix
} from '../../src/scim/schema/registry.js'

const ENT = ENTERPRISE_USER_SCHEMA

t.test('findAttribute: case-insensitive, common attributes under the core URN', async t => {
  const cases: Array<[typeof USER_RESOURCE, string | undefined, string, string | undefined, string | undefined]> = [
    [USER_RESOURCE, undefined, 'username', USER_SCHEMA, 'userName'],
    [USER_RESOURCE, undefined, 'ID', USER_SCHEMA, 'id'],
    [USER_RESOURCE, undefined, 'externalid', USER_SCHEMA, 'externalId'],
    [USER_RESOURCE, undefined, 'META', USER_SCHEMA, 'meta'],
    [USER_RESOURCE, USER_SCHEMA.toUpperCase(), 'emails', USER_SCHEMA, 'emails'],
    [USER_RESOURCE, USER_SCHEMA, 'id', USER_SCHEMA, 'id'],
    [USER_RESOURCE, ENT.toLowerCase(), 'Department', ENT, 'department'],
    [USER_RESOURCE, ENT, 'userName', undefined, undefined],
    [USER_RESOURCE, undefined, 'department', undefined, undefined],
    [USER_RESOURCE, 'urn:scim:schemas:core:2.0', 'userName', undefined, undefined],
    [USER_RESOURCE, undefined, 'nope', undefined, undefined],
    [GROUP_RESOURCE, undefined, 'DISPLAYNAME', GROUP_SCHEMA, 'displayName'],
    [GROUP_RESOURCE, undefined, 'userName', undefined, undefined]
  ]
  for (const [resource, schema, name, wantSchema, wantName] of cases) {
    const found = findAttribute(resource, schema, name)
    t.equal(found?.schema, wantSchema, `${schema ?? '-'} ${name} schema`)
    t.equal(found?.attribute.name, wantName, `${schema ?? '-'} ${name} name`)
  }
})

t.test('findSubAttribute and findSchemaUri', async t => {
  const emails = findAttribute(USER_RESOURCE, undefined, 'emails')?.attribute
  t.ok(emails)
  if (emails === undefined) return
  t.equal(findSubAttribute(emails, 'PRIMARY')?.name, 'primary')
  t.equal(findSubAttribute(emails, 'nope'), undefined)
  t.equal(findSubAttribute(findAttribute(USER_RESOURCE, undefined, 'userName')!.attribute, 'x'), undefined)
  t.equal(findSchemaUri(USER_RESOURCE, ENT.toUpperCase()), ENT)
  t.equal(findSchemaUri(USER_RESOURCE, USER_SCHEMA.toLowerCase()), USER_SCHEMA)
  t.equal(findSchemaUri(GROUP_RESOURCE, ENT), undefined)
  t.equal(findResourceSchema('group'), GROUP_RESOURCE)
  t.equal(findResourceSchema('Widget'), undefined)
})

t.test('splitUrnPrefix', async t => {
  const cases: Array<[string, string | undefined, string]> = [
    [`${ENT}:department`, ENT, 'department'],
    [`${ENT.toLowerCase()}:manager.value`, ENT, 'manager.value'],
    [ENT.toUpperCase(), ENT, ''],
    [`${USER_SCHEMA}:name.givenName`, USER_SCHEMA, 'name.givenName'],
    ['name.givenName', undefined, 'name.givenName'],
    ['urn:scim:schemas:core:2.0:userName', undefined, 'urn:scim:schemas:core:2.0:userName'],
    // a prefix that is not followed by ':' is not a match
    [`${ENT}x:department`, undefined, `${ENT}x:department`]
  ]
  for (const [text, schema, rest] of cases) t.same(splitUrnPrefix(USER_RESOURCE, text), { schema, rest }, text)
})

t.test('resolveAttributeName gives canonical paths', async t => {
  const cases: Array<[string, string | undefined]> = [
    ['USERNAME', 'userName'],
    ['name.GIVENNAME', 'name.givenName'],
    [`${USER_SCHEMA}:Name.FamilyName`, 'name.familyName'],
    [`${ENT.toUpperCase()}:MANAGER.value`, `${ENT}:manager.value`],
    [`${ENT}:department`, `${ENT}:department`],
    ['meta.LASTMODIFIED', 'meta.lastModified'],
    ['name.nope', undefined],
    ['name.givenName.x', undefined],
    ['', undefined],
    [ENT, undefined]
  ]
  for (const [text, path] of cases) t.equal(resolveAttributeName(USER_RESOURCE, text)?.path, path, text)
})

t.test('sortable attributes: singular ones only, never password', async t => {
  const paths = listSortablePaths(USER_RESOURCE)
  for (const p of ['id', 'externalId', 'userName', 'name.familyName', 'meta.created', 'meta.lastModified', `${ENT}:department`, `${ENT}:manager.value`]) {
    t.ok(paths.includes(p), `${p} is sortable`)
  }
  for (const p of ['password', 'emails', 'emails.value', 'name', 'meta', 'groups.value', `${ENT}:manager`]) {
    t.notOk(paths.includes(p), `${p} is not sortable`)
  }
  t.same(listSortablePaths(GROUP_RESOURCE).sort(), ['displayName', 'externalId', 'id', 'meta.created', 'meta.lastModified', 'meta.location', 'meta.resourceType', 'meta.version'])
  t.notOk(isSortable(resolveAttributeName(GROUP_RESOURCE, 'members.value')!))
})

t.test('schema data follows RFC 7643 §8.7.1 where it matters', async t => {
  const user = (name: string) => resolveAttributeName(USER_RESOURCE, name)
  t.match(user('id'), { attribute: { mutability: 'readOnly', returned: 'always', caseExact: true, uniqueness: 'server' } })
  t.match(user('externalId'), { attribute: { caseExact: true, mutability: 'readWrite' } })
  t.match(user('userName'), { attribute: { required: true, caseExact: false, uniqueness: 'server', returned: 'default' } })
  t.match(user('password'), { attribute: { mutability: 'writeOnly', returned: 'never' } })
  t.match(user('groups'), { attribute: { mutability: 'readOnly', multiValued: true } })
  t.match(user('groups.value'), { subAttribute: { mutability: 'readOnly' } })
  t.match(user('photos.value'), { subAttribute: { type: 'reference', referenceTypes: ['external'] } })
  t.match(user('x509Certificates.value'), { subAttribute: { type: 'binary' } })
  t.match(user('userType'), { attribute: { canonicalValues: ['customer', 'administrator', 'collaborator'] } })
  t.match(user(`${ENT}:manager.displayName`), { subAttribute: { mutability: 'readOnly' } })
  const group = (name: string) => resolveAttributeName(GROUP_RESOURCE, name)
  t.match(group('displayName'), { attribute: { required: true } })
  t.match(group('members.value'), { subAttribute: { mutability: 'immutable' } })
  t.match(group('members.display'), { subAttribute: { mutability: 'readOnly' } })
  t.equal(RESOURCE_SCHEMAS.length, 2)
  t.same(ALL_SCHEMAS.map(s => s.id), [USER_SCHEMA, ENT, GROUP_SCHEMA])
  const names = USER_RESOURCE.core.attributes.map(a => a.name)
  t.same(names, ['userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage',
    'locale', 'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups',
    'entitlements', 'roles', 'x509Certificates'])
})
