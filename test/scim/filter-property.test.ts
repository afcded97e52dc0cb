import t from 'tap'
import fc from 'fast-check'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { printFilter } from '../../src/scim/filter/printer.js'
import {
  andFilter, attributePath, compareFilter, notFilter, orFilter, presentFilter, valuePathFilter, SCIM_COMPARE_OPERATORS
} from '../../src/scim/filter/ast.js'
import type { ScimFilter } from '../../src/scim/filter/ast.js'
import { ScimError } from '../../src/scim/errors.js'

const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/)
const schema = fc.constantFrom(
  undefined,
  'urn:ietf:params:scim:schemas:core:2.0:User',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'
)
const value = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter(n => !Object.is(n, -0))
)
const topPath = fc.tuple(name, fc.option(name, { nil: undefined }), schema)
  .map(([a, s, u]) => attributePath(a, s, u))
const relativePath = name.map(a => attributePath(a))

function filterArbitrary (path: fc.Arbitrary<ReturnType<typeof attributePath>>, withValuePaths: boolean): fc.Arbitrary<ScimFilter> {
  const { node } = fc.letrec<{ node: ScimFilter }>(tie => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(path, fc.constantFrom(...SCIM_COMPARE_OPERATORS), value).map(([p, o, v]) => compareFilter(p, o, v)),
      path.map(presentFilter),
      fc.tuple(tie('node'), tie('node')).map(([l, r]) => andFilter(l, r)),
      fc.tuple(tie('node'), tie('node')).map(([l, r]) => orFilter(l, r)),
      tie('node').map(notFilter),
      ...(withValuePaths
        ? [fc.tuple(name, filterArbitrary(relativePath, false)).map(([a, f]) => valuePathFilter(attributePath(a), f))]
        : [])
    )
  }))
  return node
}

t.test('print then parse gives the same AST', async t => {
  fc.assert(fc.property(filterArbitrary(topPath, true), ast => {
    const text = printFilter(ast)
    t.same(parseFilter(text), ast, text)
  }), { numRuns: 500 })
})

t.test('arbitrary text never throws anything but ScimError', async t => {
  const alphabet = fc.constantFrom(...'ab.:[]()" \\eqnotandorpr0123-'.split(''))
  const noise = fc.oneof(fc.string(), fc.array(alphabet, { maxLength: 40 }).map(a => a.join('')))
  fc.assert(fc.property(noise, text => {
    try {
      const ast = parseFilter(text)
      t.same(parseFilter(printFilter(ast)), ast)
    } catch (error) {
      if (!(error instanceof ScimError)) throw error
    }
  }), { numRuns: 2000 })
  t.pass('no foreign exceptions')
})
