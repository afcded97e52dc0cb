/**
 * Generated filter texts for the differential test: paths from the registry (every simple
 * attribute and sub-attribute, value paths over every multi-valued complex attribute),
 * operators the attribute's type allows, values taken from the fixture resources (as they
 * are, case-changed, cut into substrings, shifted by a millisecond) or made of LIKE's special
 * characters.
 */
import fc from 'fast-check'
import { COMMON_ATTRIBUTES } from '../../src/scim/schema/registry.js'
import type { ScimResourceSchema } from '../../src/scim/schema/registry.js'
import type { ScimAttributeDefinition } from '../../src/scim/schema/types.js'
import type { ScimResourceObject } from '../../src/scim/resource.js'

interface GenPath {
  /** As written in a filter: `name.familyName`, `urn:…:User:manager.value`, or `type` inside brackets. */
  readonly text: string
  readonly leaf: ScimAttributeDefinition
  readonly pool: readonly unknown[]
}


const STRING_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const
const ORDER_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const

function values (objects: readonly unknown[], key: string): unknown[] {
  return objects.flatMap(o => typeof o === 'object' && o !== null && !Array.isArray(o) ? [(o as Record<string, unknown>)[key]] : [])
    .flat().filter(v => v !== undefined && v !== null)
}

function leafFilter (path: GenPath): fc.Arbitrary<string> {
  const strings = path.pool.filter((v): v is string => typeof v === 'string')
  const pool = strings.length > 0 ? strings : ['x']
  const pr = fc.constant(`${path.text} pr`)
  const nulls = fc.constantFrom(`${path.text} eq null`, `${path.text} ne null`)
  switch (path.leaf.type) {
    case 'boolean':
      return fc.oneof(pr, nulls, fc.tuple(fc.constantFrom('eq', 'ne'), fc.boolean()).map(([op, b]) => `${path.text} ${op} ${b}`))
    case 'dateTime': {
      const instant = fc.tuple(fc.constantFrom(...pool), fc.constantFrom(-86_400_000, -1, 0, 0, 1, 86_400_000))
        .map(([v, shift]) => new Date(Date.parse(v) + shift).toISOString())
      return fc.oneof(pr, fc.tuple(fc.constantFrom(...ORDER_OPS), instant).map(([op, v]) => `${path.text} ${op} "${v}"`))
    }
    default: {
      const text = fc.oneof(
        fc.constantFrom(...pool),
        fc.constantFrom(...pool).map(s => s.toUpperCase()),
        fc.tuple(fc.constantFrom(...pool), fc.nat(12), fc.nat(6)).map(([s, from, len]) => s.slice(from, from + len)),
        fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'E', '%', '_', '\\', '.', '@', '-', '0', '\u0000') })
      )
      // RFC 7644 §3.4.2.2: binary values support only equality.
      const ops = path.leaf.type === 'binary' ? (['eq', 'ne'] as const) : STRING_OPS
      return fc.oneof(pr, nulls, fc.tuple(fc.constantFrom(...ops), text).map(([op, v]) => `${path.text} ${op} ${JSON.stringify(v)}`))
    }
  }
}

function combine (atom: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: atom },
    { weight: 1, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a} and ${b})`) },
    { weight: 1, arbitrary: fc.tuple(atom, atom).map(([a, b]) => `(${a} or ${b})`) },
    { weight: 1, arbitrary: atom.map(a => `not (${a})`) }
  )
}

export function filterArbitrary (resource: ScimResourceSchema, objects: readonly ScimResourceObject[]): fc.Arbitrary<string> {
  const top: GenPath[] = []
  const valuePaths: Array<fc.Arbitrary<string>> = []
  const schemas: Array<[string | undefined, readonly ScimAttributeDefinition[]]> = [
    [undefined, [...COMMON_ATTRIBUTES, ...resource.core.attributes]],
    ...resource.extensions.map((e): [string, readonly ScimAttributeDefinition[]] => [e.id, e.attributes])
  ]
  for (const [schema, attributes] of schemas) {
    const containers = schema === undefined ? objects : values(objects, schema)
    for (const attribute of attributes) {
      const name = schema === undefined ? attribute.name : `${schema}:${attribute.name}`
      const at = values(containers, attribute.name)
      if (attribute.type !== 'complex') {
        top.push({ text: name, leaf: attribute, pool: at })
        continue
      }
      const subs = attribute.subAttributes ?? []
      for (const sub of subs) top.push({ text: `${name}.${sub.name}`, leaf: sub, pool: values(at, sub.name) })
      if (attribute.multiValued) {
        const inner = fc.constantFrom(...subs).chain(sub => leafFilter({ text: sub.name, leaf: sub, pool: values(at, sub.name) }))
        valuePaths.push(combine(inner).map(f => `${name}[${f}]`))
      }
    }
  }
  const atom = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...top).chain(leafFilter) },
    { weight: 1, arbitrary: fc.oneof(...valuePaths) }
  )
  return combine(combine(atom))
}
