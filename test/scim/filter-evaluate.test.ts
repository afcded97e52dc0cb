import t from 'tap'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { resolveFilter } from '../../src/scim/filter/resolve.js'
import { evaluateFilter, isPresent } from '../../src/scim/filter/evaluate.js'
import { parseDateTime } from '../../src/scim/filter/date-time.js'
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import type { ScimResourceSchema } from '../../src/scim/schema/registry.js'

const E = ENTERPRISE_USER_SCHEMA

const BJENSEN = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', E],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'Ext-1',
  userName: 'Ford_Purdy@example.com',
  name: { familyName: 'Jensen', givenName: 'Barbara' },
  displayName: 'Babs Jensen',
  title: '',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' }
  ],
  phoneNumbers: [],
  [E]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' } },
  meta: { created: '2010-01-23T04:56:22.000Z', lastModified: '2011-05-13T04:42:34.000Z' }
}

const EMPTY = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'x', userName: 'empty' }

/** [filter, matches BJENSEN, matches EMPTY] */
const CASES: Array<[string, boolean, boolean]> = [
  // caseExact false: userName, displayName, emails.value (CLIENTS.md, Microsoft validator)
  ['userName eq "FORD_PURDY@EXAMPLE.COM"', true, false],
  ['displayName eq "babs jensen"', true, false],
  ['emails.value eq "BJENSEN@example.com"', true, false],
  ['emails eq "babs@jensen.org"', true, false],
  // caseExact true: id, externalId
  ['externalId eq "ext-1"', false, false],
  ['externalId eq "Ext-1"', true, false],
  ['id eq "2819C223-7F76-453A-919D-413861904646"', false, false],
  // co sw ew
  ['userName co "purdy"', true, false],
  ['userName sw "ford"', true, false],
  ['userName ew ".COM"', true, false],
  ['userName co ""', true, true],
  ['name.familyName sw "jen" and name.givenName ew "ara"', true, false],
  // ordering
  ['userName gt "e"', true, true],
  ['userName lt "f"', false, true],
  ['userName ge "ford_purdy@example.com"', true, false],
  ['userName le "ford_purdy@example.com"', true, true],
  ['meta.created gt 2010-01-22T21:56:21.8617979-07:00', true, false],
  ['meta.created ge "2010-01-23T04:56:22Z"', true, false],
  ['meta.created eq "2010-01-22T23:56:22-05:00"', true, false],
  ['meta.created lt "2010-01-23T04:56:22.001Z"', true, false],
  ['meta.lastModified le "2011-05-13T04:42:33Z"', false, false],
  // pr: present and not null / "" / []
  ['title pr', false, false],
  ['phoneNumbers pr', false, false],
  ['emails pr', true, false],
  ['name pr', true, false],
  ['name.middleName pr', false, false],
  [`${E}:manager.value pr`, true, false],
  [`${E}:manager pr`, true, false],
  // ne = not (eq), true when absent
  ['userName ne "ford_purdy@example.com"', false, true],
  ['title ne "x"', true, true],
  ['emails.value ne "babs@jensen.org"', false, true],
  ['emails.type ne "other"', true, true],
  ['title eq null', true, true],
  ['displayName eq null', false, true],
  ['displayName ne null', true, false],
  // booleans, also as strings
  ['active eq true', true, false],
  ['active eq "False"', false, false],
  ['active ne false', true, true],
  // multi-valued: any element
  ['emails.type eq "home"', true, false],
  ['emails[type eq "work" and value co "@example.com"]', true, false],
  ['emails[type eq "home" and value co "@example.com"]', false, false],
  // …but the two conditions of emails.type/emails.value may match different elements
  ['emails.type eq "home" and emails.value co "@example.com"', true, false],
  ['emails[type eq "work"].value eq "BJENSEN@EXAMPLE.COM"', true, false],
  ['emails[type eq "home"].value eq "bjensen@example.com"', false, false],
  ['emails[primary eq true]', true, false],
  ['emails[not (type eq "work")]', true, false],
  ['emails[type ne "work"]', true, false],
  // extension
  [`${E}:department eq "tour operations"`, true, false],
  [`${E}:employeeNumber sw "70"`, true, false],
  // logic and precedence
  ['userName eq "x" or userName eq "empty" and id eq "x"', false, true],
  ['(userName eq "x" or userName eq "empty") and id eq "y"', false, false],
  ['not (userName eq "empty")', true, false],
  ['not (title eq "x")', true, true]
]

function check (resource: ScimResourceSchema, filter: string, object: Record<string, unknown>): boolean {
  return evaluateFilter(resource, resolveFilter(resource, parseFilter(filter)), object)
}

t.test('the evaluator gives each filter its documented meaning', async t => {
  for (const [filter, bjensen, empty] of CASES) {
    t.equal(check(USER_RESOURCE, filter, BJENSEN), bjensen, `${filter} on bjensen`)
    t.equal(check(USER_RESOURCE, filter, EMPTY), empty, `${filter} on a minimal user`)
  }
})

t.test('odd stored data never matches and never throws', async t => {
  const odd = { userName: 42, active: 'true', emails: { value: 'single@x.org', type: 'work' }, meta: { created: 'garbage' }, DisplayName: 'Mixed' }
  t.equal(check(USER_RESOURCE, 'userName eq "42"', odd), false)
  t.equal(check(USER_RESOURCE, 'active eq true', odd), false)
  t.equal(check(USER_RESOURCE, 'meta.created gt "2000-01-01T00:00:00Z"', odd), false)
  t.equal(check(USER_RESOURCE, 'emails[type eq "work"]', odd), true, 'a lone object counts as one element')
  t.equal(check(USER_RESOURCE, 'displayName eq "mixed"', odd), true, 'keys are found case-insensitively')
})

t.test('groups: members.value and the unresolved-AST fallback', async t => {
  const group = { displayName: 'Admins', members: [{ value: 'u1' }, { value: 'u2' }] }
  t.equal(check(GROUP_RESOURCE, 'members eq "u2"', group), true)
  t.equal(check(GROUP_RESOURCE, 'members[value eq "u3"]', group), false)
  t.equal(evaluateFilter(GROUP_RESOURCE, parseFilter('DisplayName eq "admins"'), group), true)
  t.throws(() => evaluateFilter(GROUP_RESOURCE, parseFilter('members[nope eq "u3"]'), group))
})

t.test('dateTime parsing', async t => {
  t.equal(parseDateTime('2015-10-10T14:38:21.8617979-07:00'), Date.parse('2015-10-10T21:38:21.861Z'))
  t.equal(parseDateTime('2015-10-10'), Date.parse('2015-10-10T00:00:00Z'))
  t.equal(parseDateTime('2015-10-10T14:38Z'), Date.parse('2015-10-10T14:38:00Z'))
  t.equal(parseDateTime('0099-01-01T00:00:00Z'), Date.parse('0099-01-01T00:00:00Z'))
  t.equal(parseDateTime('2016-02-29T00:00:00+0130'), Date.parse('2016-02-28T22:30:00Z'))
  for (const bad of ['2015-02-29', '2015-13-01', '2015-10-10T24:00:00Z', '2015-10-10T10:00:00+19:00', 'now', '']) {
    t.equal(parseDateTime(bad), undefined, bad)
  }
})

t.test('isPresent', async t => {
  t.same([undefined, null, '', [], {}, 0, false, 'a', [1], { a: 1 }].map(isPresent),
    [false, false, false, false, false, true, true, true, true, true])
})
