/** Properties of the resolved AST and the evaluator that the SQL translation relies on. */
import t from 'tap'
import fc from 'fast-check'
import { ScimError } from '../../src/scim/errors.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { printFilter } from '../../src/scim/filter/printer.js'
import { parseResolvedFilter, resolveFilter } from '../../src/scim/filter/resolve.js'
import { evaluateFilter } from '../../src/scim/filter/evaluate.js'
import { compareFilter, notFilter } from '../../src/scim/filter/ast.js'
import type { ScimFilter } from '../../src/scim/filter/ast.js'
import { ENTERPRISE_USER_SCHEMA, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import type { ScimResourceSchema } from '../../src/scim/schema/registry.js'
import { defineAttribute } from '../../src/scim/schema/common.js'
import { expectScimError } from './expect-scim-error.js'

const E = ENTERPRISE_USER_SCHEMA
const PATHS = ['userName', 'displayName', 'title', 'active', 'externalId', 'id', 'name.familyName', 'emails', 'emails.value',
  'emails.type', 'emails.primary', 'meta.created', `${E}:department`, `${E}:manager.value`, 'nickName', 'phoneNumbers']
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']
const VALUES = ['"a"', '"A"', '"bj"', '"work"', 'true', 'false', 'null', '1', '"2020-01-01T00:00:00Z"', '2020-06-01T00:00:00.1234567+02:00', '""']

const atom = fc.oneof(
  fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...OPS), fc.constantFrom(...VALUES)).map(([p, o, v]) => `${p} ${o} ${v}`),
  fc.constantFrom(...PATHS).map(p => `${p} pr`),
  fc.tuple(fc.constantFrom('type', 'value', 'primary'), fc.constantFrom('eq', 'ne', 'co'), fc.constantFrom(...VALUES)).map(([p, o, v]) => `emails[${p} ${o} ${v}]`)
)
const filterText: fc.Arbitrary<string> = fc.letrec<{ f: string }>(tie => ({
  f: fc.oneof({ depthSize: 'small' }, atom,
    fc.tuple(tie('f'), fc.constantFrom('and', 'or'), tie('f')).map(([a, o, b]) => `${a} ${o} ${b}`),
    tie('f').map(f => `not (${f})`),
    tie('f').map(f => `(${f})`))
})).f

const user = fc.record({
  userName: fc.constantFrom('a', 'A', 'bjensen', 'BJ'),
  displayName: fc.option(fc.constantFrom('a', 'Bj', ''), { nil: undefined }),
  title: fc.option(fc.constantFrom('a', ''), { nil: undefined }),
  active: fc.option(fc.boolean(), { nil: undefined }),
  externalId: fc.option(fc.constantFrom('a', 'A'), { nil: undefined }),
  emails: fc.option(fc.array(fc.record({ value: fc.constantFrom('a', 'A', 'bj@x'), type: fc.constantFrom('work', 'home'), primary: fc.boolean() }, { requiredKeys: ['value'] }), { maxLength: 3 }), { nil: undefined }),
  meta: fc.record({ created: fc.constantFrom('2019-12-31T23:59:59.999Z', '2020-01-01T00:00:00.000Z', '2021-01-01T00:00:00.000Z') }),
  [E]: fc.option(fc.record({ department: fc.constantFrom('a', 'b'), manager: fc.record({ value: fc.constantFrom('a', 'A') }) }, { requiredKeys: [] }), { nil: undefined })
}, { requiredKeys: ['userName', 'meta'] })

t.test('resolution is stable and evaluation total on generated filters', async t => {
  let resolvedCount = 0
  fc.assert(fc.property(filterText, user, (text, object) => {
    let resolved: ScimFilter
    try {
      resolved = parseResolvedFilter(USER_RESOURCE, text)
    } catch (error) {
      if (error instanceof ScimError && error.scimType === 'invalidFilter') return
      throw error
    }
    resolvedCount++
    // Printing a resolved filter and resolving again is the identity: what the SQL compiler sees is canonical.
    t.same(parseResolvedFilter(USER_RESOURCE, printFilter(resolved)), resolved)
    const result = evaluateFilter(USER_RESOURCE, resolved, object)
    t.equal(evaluateFilter(USER_RESOURCE, notFilter(resolved), object), !result, 'not is plain negation')
    if (resolved.kind === 'compare' && resolved.op === 'ne') {
      const eq = evaluateFilter(USER_RESOURCE, compareFilter(resolved.path, 'eq', resolved.value), object)
      t.equal(result, !eq, 'ne is not (eq)')
    }
  }), { numRuns: 600 })
  t.ok(resolvedCount > 100, `many generated filters resolve (${resolvedCount})`)
})

t.test('integer and decimal attributes (none in the registry yet)', async t => {
  const resource: ScimResourceSchema = {
    ...USER_RESOURCE,
    core: { ...USER_RESOURCE.core, attributes: [...USER_RESOURCE.core.attributes, defineAttribute('loginCount', 'integer'), defineAttribute('score', 'decimal')] }
  }
  const check = (text: string, object: Record<string, unknown>): boolean => evaluateFilter(resource, resolveFilter(resource, parseFilter(text)), object)
  t.equal(check('loginCount gt 2', { loginCount: 3 }), true)
  t.equal(check('loginCount le "2"', { loginCount: 3 }), false)
  t.equal(check('score eq 1.5', { score: 1.5 }), true)
  t.equal(check('score eq 1.5', { score: '1.5' }), false, 'a string stored for a number never matches')
  expectScimError(t, () => resolveFilter(resource, parseFilter('loginCount co 2')), 'invalidFilter', /Operator "co"/)
  expectScimError(t, () => resolveFilter(resource, parseFilter('loginCount eq "many"')), 'invalidFilter', /does not fit/)
  expectScimError(t, () => resolveFilter(resource, parseFilter('loginCount eq true')), 'invalidFilter', /does not fit/)
})
