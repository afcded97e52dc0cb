import t from 'tap'
import { parsePath } from '../../src/scim/path.js'
import { printFilter } from '../../src/scim/filter/printer.js'
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, GROUP_SCHEMA, USER_RESOURCE, USER_SCHEMA } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

const E = ENTERPRISE_USER_SCHEMA
const U = USER_SCHEMA

/** [path, schema, attribute, subAttribute, printed filter] */
const VALID: Array<[string, string, string | undefined, string | undefined, string | undefined]> = [
  ['userName', U, 'userName', undefined, undefined],
  ['USERNAME', U, 'userName', undefined, undefined],
  ['name.familyName', U, 'name', 'familyName', undefined],
  ['Name.GivenName', U, 'name', 'givenName', undefined],
  ['id', U, 'id', undefined, undefined],
  [`${E}:department`, E, 'department', undefined, undefined],
  [`${E.toLowerCase()}:manager.value`, E, 'manager', 'value', undefined],
  [`${U}:userName`, U, 'userName', undefined, undefined],
  [E, E, undefined, undefined, undefined],
  ['emails[type eq "work"]', U, 'emails', undefined, 'type eq "work"'],
  ['emails[type eq "work"].value', U, 'emails', 'value', 'type eq "work"'],
  ['Emails[Type EQ work and primary eq "True"].Display', U, 'emails', 'display', 'type eq "work" and primary eq true'],
  ['addresses[type eq "work"].streetAddress', U, 'addresses', 'streetAddress', 'type eq "work"'],
  ['  title  ', U, 'title', undefined, undefined]
]

const INVALID: Array<[string, RegExp]> = [
  ['', /non-empty/],
  ['nosuch', /Unknown attribute in path "nosuch"/],
  ['name.nosuch', /"name" has no "nosuch"/],
  ['userName.x', /"userName" has no "x"/],
  ['a.b.c', /Invalid attribute path "a.b.c" at character 1/],
  ['urn:example:other:1.0:Thing:attr', /Unknown schema in path/],
  [U, /names the core schema/],
  ['emails[type eq "work"', /Invalid path at character 22: expected "\]"/],
  ['emails[type eq "work"]x', /Invalid path at character 23: expected the end of the path/],
  ['emails[type eq "work"].value.x', /one sub-attribute/],
  ['emails[nosuch eq "x"]', /Unknown attribute "nosuch" inside "emails\[…\]"/],
  ['emails[primary gt true]', /Operator "gt" cannot be used on "primary"/],
  ['name[givenName eq "x"]', /needs a multi-valued complex attribute/],
  ['name.givenName[value eq "x"]', /a value filter follows an attribute/],
  ['emails[type eq "work"].nosuch', /"emails" has no "nosuch"/],
  ['user name', /expected the end/],
  ['(userName)', /expected an attribute name/],
  [`${E}:nosuch`, /Unknown attribute/]
]

t.test('valid paths resolve to canonical names', async t => {
  for (const [text, schema, attribute, sub, filter] of VALID) {
    const path = parsePath(USER_RESOURCE, text)
    t.equal(path.schema, schema, `${text}: schema`)
    t.equal(path.attribute, attribute, `${text}: attribute`)
    t.equal(path.subAttribute, sub, `${text}: subAttribute`)
    t.equal(path.filter === undefined ? undefined : printFilter(path.filter), filter, `${text}: filter`)
  }
  const members = parsePath(GROUP_RESOURCE, 'members[value eq "a" or value eq "b"]')
  t.equal(members.schema, GROUP_SCHEMA)
  t.equal(members.attributeDefinition?.name, 'members')
  t.equal(printFilter(members.filter!), 'value eq "a" or value eq "b"')
})

t.test('malformed or unknown paths are 400 invalidPath', async t => {
  for (const [text, detail] of INVALID) {
    expectScimError(t, () => parsePath(USER_RESOURCE, text), 'invalidPath', detail, text)
  }
  expectScimError(t, () => parsePath(USER_RESOURCE, 42 as unknown as string), 'invalidPath', /non-empty string/)
  expectScimError(t, () => parsePath(USER_RESOURCE, 'x'.repeat(5000)), 'invalidPath', /longer than/)
  expectScimError(t, () => parsePath(GROUP_RESOURCE, 'userName'), 'invalidPath', /for Group resources/)
})
