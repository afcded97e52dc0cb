import t from 'tap'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { printFilter } from '../../src/scim/filter/printer.js'
import { resolveElementFilter, resolveFilter } from '../../src/scim/filter/resolve.js'
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE, USER_SCHEMA, findAttribute } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

const E = ENTERPRISE_USER_SCHEMA
const U = USER_SCHEMA

const resolveUser = (text: string): string => printFilter(resolveFilter(USER_RESOURCE, parseFilter(text)))

/** [input, printed resolved filter] */
const USER_CASES: Array<[string, string]> = [
  ['USERNAME eq "Bjensen"', `${U}:userName eq "Bjensen"`],
  ['id eq "abc"', `${U}:id eq "abc"`],
  ['meta.Created gt 2015-10-10T14:38:21.8617979-07:00', `${U}:meta.created gt "2015-10-10T21:38:21.861Z"`],
  ['meta.lastModified le "2011-05-13"', `${U}:meta.lastModified le "2011-05-13T00:00:00.000Z"`],
  ['name.FamilyName eq Employee', `${U}:name.familyName eq "Employee"`],
  ['emails co "example.com"', `${U}:emails.value co "example.com"`],
  ['Emails[TYPE eq "work"].Value eq "x"', `${U}:emails[type eq "work" and value eq "x"]`],
  ['active eq "False"', `${U}:active eq false`],
  ['active eq True', `${U}:active eq true`],
  ['externalId eq 12345', `${U}:externalId eq "12345"`],
  ['title eq null', `not (${U}:title pr)`],
  ['title ne null', `${U}:title pr`],
  ['name pr', `${U}:name pr`],
  [`${E}:department eq "Sales"`, `${E}:department eq "Sales"`],
  [`${E.toUpperCase()}:Manager.Value eq "271"`, `${E}:manager.value eq "271"`],
  [`${U}:userName sw "a"`, `${U}:userName sw "a"`],
  ['not (emails[primary eq "true"]) or userName ge "m"', `not (${U}:emails[primary eq true]) or ${U}:userName ge "m"`]
]

const USER_ERRORS: Array<[string, RegExp]> = [
  ['nosuch eq "x"', /Unknown attribute "nosuch"/],
  ['name.nosuch eq "x"', /"name" has no sub-attribute "nosuch"/],
  ['urn:example:nope:attr eq "x"', /Unknown schema "urn:example:nope"/],
  [`${E}:userName eq "x"`, /Unknown attribute/],
  ['active gt true', /Operator "gt" cannot be used on ".*active" \(type boolean\)/],
  ['active co "t"', /Operator "co"/],
  ['active eq "yes"', /does not fit/],
  ['name eq "x"', /is complex/],
  ['name gt "x"', /is complex/],
  ['meta.created co "2015"', /Operator "co"/],
  ['meta.created gt "yesterday"', /does not fit/],
  ['meta.created gt "2015-02-30T00:00:00Z"', /does not fit/],
  ['userName gt null', /"gt null" is not a valid comparison/],
  ['userName[value eq "x"]', /needs a multi-valued complex attribute/],
  ['name[givenName eq "x"]', /needs a multi-valued complex attribute/],
  ['emails[nosuch eq "x"]', /Unknown attribute "nosuch" inside "emails\[…\]": expected one of value, display, type, primary/],
  ['x509Certificates.value co "x"', /Operator "co"/]
]

t.test('resolution canonicalises names, URNs, values and shorthand', async t => {
  for (const [input, printed] of USER_CASES) t.equal(resolveUser(input), printed, input)
  const g = resolveFilter(GROUP_RESOURCE, parseFilter('DISPLAYNAME eq "Admins" and members eq "u1"'))
  t.equal(printFilter(g), 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Admins" and urn:ietf:params:scim:schemas:core:2.0:Group:members.value eq "u1"')
  t.ok(Object.isFrozen(g))
})

t.test('resolved filters parse back to themselves', async t => {
  for (const [input] of USER_CASES) {
    const resolved = resolveFilter(USER_RESOURCE, parseFilter(input))
    t.same(resolveFilter(USER_RESOURCE, parseFilter(printFilter(resolved))), resolved, input)
  }
})

t.test('unknown attributes and invalid combinations are 400 invalidFilter', async t => {
  for (const [input, detail] of USER_ERRORS) {
    expectScimError(t, () => resolveFilter(USER_RESOURCE, parseFilter(input)), 'invalidFilter', detail, input)
  }
  expectScimError(t, () => resolveFilter(GROUP_RESOURCE, parseFilter('userName eq "x"')), 'invalidFilter', /for Group resources/)
})

t.test('hand-built ASTs the parser cannot produce are still checked', async t => {
  const emails = findAttribute(USER_RESOURCE, undefined, 'emails')!.attribute
  const nested = { kind: 'valuePath', path: { attribute: 'emails' }, filter: { kind: 'valuePath', path: { attribute: 'ims' }, filter: { kind: 'present', path: { attribute: 'value' } } } } as const
  expectScimError(t, () => resolveFilter(USER_RESOURCE, nested), 'invalidFilter', /cannot be nested/)
  const withSub = { kind: 'valuePath', path: { attribute: 'emails', subAttribute: 'value' }, filter: { kind: 'present', path: { attribute: 'value' } } } as const
  expectScimError(t, () => resolveFilter(USER_RESOURCE, withSub), 'invalidFilter', /names an attribute/)
  expectScimError(t, () => resolveElementFilter(emails, parseFilter('value.x pr')), 'invalidFilter', /Unknown attribute "value.x"/)
})
