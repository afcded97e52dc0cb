import t from 'tap'
import { expectScimError } from './expect-scim-error.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { printFilter } from '../../src/scim/filter/printer.js'
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from '../../src/scim/filter/ast.js'

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

/** [input, printed form of the parsed AST] */
const VALID: Array<[string, string]> = [
  ['userName eq "bjensen"', 'userName eq "bjensen"'],
  ['DisplayName EQ "Group One"', 'DisplayName eq "Group One"'],
  ['name.familyName co "O\'Malley"', 'name.familyName co "O\'Malley"'],
  ['userName sw "J"', 'userName sw "J"'],
  ['title pr', 'title pr'],
  ['title PR', 'title pr'],
  ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
  ['meta.lastModified ge "2011-05-13T04:42:34Z"', 'meta.lastModified ge "2011-05-13T04:42:34Z"'],
  ['meta.lastModified lt "2011-05-13T04:42:34Z"', 'meta.lastModified lt "2011-05-13T04:42:34Z"'],
  ['meta.lastModified le "2011-05-13T04:42:34Z"', 'meta.lastModified le "2011-05-13T04:42:34Z"'],
  ['title pr and userType eq "Employee"', 'title pr and userType eq "Employee"'],
  ['title pr or userType eq "Intern"', 'title pr or userType eq "Intern"'],
  ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"'],
  ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")'],
  ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")'],
  ['userType eq "Employee" and (emails.type eq "work")', 'userType eq "Employee" and emails.type eq "work"'],
  ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]'],
  ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]'],
  // precedence: not > and > or, left-associative
  ['a eq 1 or b eq 2 and c eq 3', 'a eq 1 or b eq 2 and c eq 3'],
  ['(a eq 1 or b eq 2) and c eq 3', '(a eq 1 or b eq 2) and c eq 3'],
  ['a eq 1 and (b eq 2 and c eq 3)', 'a eq 1 and (b eq 2 and c eq 3)'],
  ['((a eq 1))', 'a eq 1'],
  ['not(a pr)', 'not (a pr)'],
  ['a pr AND b pr OR c pr', 'a pr and b pr or c pr'],
  // literals
  ['active eq true', 'active eq true'],
  ['active eq false', 'active eq false'],
  ['manager eq null', 'manager eq null'],
  ['x eq 42', 'x eq 42'],
  ['x gt -1500', 'x gt -1500'],
  ['x gt -1.5e3', 'x gt "-1.5e3"'],
  ['x eq 1.50', 'x eq "1.50"'],
  ['x eq -0', 'x eq "-0"'],
  ['x eq "a\\"b\\\\c\\u00e9\\n"', 'x eq "a\\"b\\\\cé\\n"'],
  // URN-qualified
  [`${ENTERPRISE}:department eq "Sales"`, `${ENTERPRISE}:department eq "Sales"`],
  [`${ENTERPRISE}:manager.value eq "271"`, `${ENTERPRISE}:manager.value eq "271"`],
  ['members.$ref pr', 'members.$ref pr'],
  // client tolerance: bare words
  ['name.FamilyName eq Employee', 'name.FamilyName eq "Employee"'],
  ['meta.Created gt 2015-10-10T14:38:21.8617979-07:00', 'meta.Created gt "2015-10-10T14:38:21.8617979-07:00"'],
  ['externalId eq 00123', 'externalId eq "00123"'],
  ['active eq True', 'active eq "True"'],
  ['userName eq and', 'userName eq "and"'],
  ['userName\teq\n"x"', 'userName eq "x"'],
  // Entra
  ['emails[type eq "work"].value eq "user@contoso.com"', 'emails[type eq "work" and value eq "user@contoso.com"]'],
  ['emails[type eq "work" or type eq "home"].value pr', 'emails[(type eq "work" or type eq "home") and value pr]'],
  ['externalId eq "x" and emails[type eq "work"].value eq "y"', 'externalId eq "x" and emails[type eq "work" and value eq "y"]']
]

/** [input, text the detail must contain] */
const INVALID: Array<[string, RegExp]> = [
  ['', /character 1: expected an attribute path.*found the end/],
  ['userName', /character 9: expected a comparison operator/],
  ['userName eq', /character 12: expected a value/],
  ['userName xx "a"', /character 10: expected a comparison operator.*found "xx"/],
  ['userName eq "a" b', /character 17: expected "and", "or" or the end/],
  ['(userName eq "a"', /character 17: expected "\)"/],
  ['userName eq "a")', /character 16: expected "and", "or"/],
  ['userName eq "abc', /Unterminated string starting at character 13/],
  ['userName eq "a\\qb"', /Invalid string literal at character 13/],
  ['emails[type eq "work"', /character 22: expected "\]"/],
  ['emails[type[value eq "x"] eq "y"]', /value paths cannot be nested/],
  ['name.givenName[value eq "x"]', /without sub-attribute/],
  ['emails[type eq "work"].a.b eq "x"', /character 23: expected a sub-attribute name/],
  ['a.b.c eq "x"', /Invalid attribute path "a.b.c" at character 1/],
  ['foo:bar eq "x"', /expected an attribute name or a "urn:" schema prefix/],
  ['1abc eq "x"', /Invalid attribute path/],
  ['and eq "x" or', /character 14: expected an attribute path/],
  ['userName eq (', /character 13: expected a value/],
  ['not (a pr', /expected "\)"/],
  ['a pr and', /expected an attribute path/]
]

t.test('valid filters parse and print back', async t => {
  for (const [input, printed] of VALID) {
    const ast = parseFilter(input)
    t.equal(printFilter(ast), printed, input)
    t.same(parseFilter(printed), ast, `round trip of ${input}`)
    t.ok(Object.isFrozen(ast), 'AST nodes are frozen')
  }
})

t.test('the AST has the documented shape', async t => {
  t.same(parseFilter('emails[type eq "work"].value eq "x"'), {
    kind: 'valuePath',
    path: { attribute: 'emails' },
    filter: {
      kind: 'and',
      left: { kind: 'compare', path: { attribute: 'type' }, op: 'eq', value: 'work' },
      right: { kind: 'compare', path: { attribute: 'value' }, op: 'eq', value: 'x' }
    }
  })
  t.same(parseFilter(`${ENTERPRISE}:manager.value pr`), {
    kind: 'present', path: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' }
  })
  t.same(parseFilter('not (a eq 1)'), {
    kind: 'not', filter: { kind: 'compare', path: { attribute: 'a' }, op: 'eq', value: 1 }
  })
  t.same(parseFilter('a eq 1 or b eq 2 and c eq 3'), {
    kind: 'or',
    left: { kind: 'compare', path: { attribute: 'a' }, op: 'eq', value: 1 },
    right: {
      kind: 'and',
      left: { kind: 'compare', path: { attribute: 'b' }, op: 'eq', value: 2 },
      right: { kind: 'compare', path: { attribute: 'c' }, op: 'eq', value: 3 }
    }
  })
})

t.test('malformed filters are 400 invalidFilter saying where and what', async t => {
  for (const [input, detail] of INVALID) {
    expectScimError(t, () => parseFilter(input), 'invalidFilter', detail, input)
  }
})

t.test('limits stop hostile input', async t => {
  expectScimError(t, () => parseFilter(`userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`), 'invalidFilter', /longer than 4096/)
  const deep = '('.repeat(MAX_FILTER_DEPTH + 1) + 'a pr' + ')'.repeat(MAX_FILTER_DEPTH + 1)
  expectScimError(t, () => parseFilter(deep), 'invalidFilter', /deeper than 50/)
  const ok = '('.repeat(MAX_FILTER_DEPTH) + 'a pr' + ')'.repeat(MAX_FILTER_DEPTH)
  t.same(parseFilter(ok), { kind: 'present', path: { attribute: 'a' } })
  const nots = 'not ('.repeat(300) + 'a pr' + ')'.repeat(300)
  expectScimError(t, () => parseFilter(nots), 'invalidFilter', /deeper than 50/)
  expectScimError(t, () => parseFilter(42 as unknown as string), 'invalidFilter', /must be a string/)
})
