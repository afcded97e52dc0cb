/**
 * In-memory evaluation of a *resolved* filter (see `resolve.ts`) against a resource object.
 * This is THE meaning of a filter: the SQL compiler must return exactly the resources for
 * which this returns true, and the differential tests use it as the oracle. So the rules are
 * deliberately few, each expressible in SQL:
 *
 * - Absent means: key missing, `null`. An absent attribute makes every comparison false.
 * - Multi-valued attributes (and sub-attributes reached through one, `emails.value`): a
 *   comparison is true when ANY value satisfies it (RFC 7644 §3.4.2.2: "if any of the values
 *   match"); `emails[…]` is true when ANY element satisfies the whole bracket filter.
 * - `ne` is `not (path eq value)` (two-valued, null-safe): true for an absent attribute, and on
 *   a multi-valued attribute true when NO value equals it. (SQL: `NOT coalesce(<eq>, false)`.)
 * - `not` is plain negation of a two-valued result: `not (title eq "x")` includes users with no title.
 * - `pr`: some value is present: not null, not "", not [] and not {}.
 * - Strings: caseExact false attributes compare after `toLowerCase()` on both sides (SQL:
 *   `lower()`); `gt/ge/lt/le` compare UTF-16 code units (SQL: `COLLATE "C"`).
 *   `co ""`, `sw ""` and `ew ""` are true for any present string.
 * - dateTime values compare as instants (epoch ms); a stored value that does not parse never
 *   matches. Numbers compare numerically. Booleans support `eq`/`ne` only (resolve checks).
 */
import { ScimError } from '../errors.js'
import { isPlainObject } from '../resource.js'
import type { ScimResourceObject } from '../resource.js'
import { findSubAttribute } from '../schema/registry.js'
import type { ScimResourceSchema } from '../schema/registry.js'
import type { ScimAttributeDefinition } from '../schema/types.js'
import type { ScimAttributePath, ScimCompareFilter, ScimCompareOperator, ScimFilter } from './ast.js'
import { parseDateTime } from './date-time.js'
import { resolveTopPath } from './resolve.js'
import type { ScimResolvedFilterPath } from './resolve.js'

type Lookup = (path: ScimAttributePath) => { resolved: ScimResolvedFilterPath, values: unknown[] }

export function evaluateFilter (resource: ScimResourceSchema, filter: ScimFilter, object: ScimResourceObject): boolean {
  return evaluateNode(filter, path => {
    const resolved = resolveTopPath(resource, path)
    const container = resolved.path.schema === resource.core.id ? object : getProperty(object, resolved.path.schema as string)
    return { resolved, values: collectValues(container, resolved.path) }
  })
}

/**
 * Evaluates a resolved element filter (the inside of `emails[…]`) against one element of
 * `attribute`; PATCH uses it to select elements.
 */
export function evaluateElementFilter (attribute: ScimAttributeDefinition, filter: ScimFilter, element: unknown): boolean {
  return evaluateNode(filter, path => {
    const leaf = findSubAttribute(attribute, path.attribute)
    if (leaf === undefined || path.subAttribute !== undefined) {
      throw ScimError.invalidFilter(`Unknown attribute "${path.attribute}" inside "${attribute.name}[…]".`)
    }
    return { resolved: { path, attribute: leaf, leaf }, values: flatten([getProperty(element, path.attribute)]) }
  })
}

/** All elements of a multi-valued attribute value (a lone object counts as one element). */
export function listElements (value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

function evaluateNode (filter: ScimFilter, lookup: Lookup): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluateNode(filter.left, lookup) && evaluateNode(filter.right, lookup)
    case 'or':
      return evaluateNode(filter.left, lookup) || evaluateNode(filter.right, lookup)
    case 'not':
      return !evaluateNode(filter.filter, lookup)
    case 'present':
      return lookup(filter.path).values.some(isPresent)
    case 'compare': {
      const { resolved, values } = lookup(filter.path)
      if (filter.op === 'ne') return !values.some(v => compareOne(resolved.leaf, 'eq', v, filter.value))
      return values.some(v => compareOne(resolved.leaf, filter.op, v, filter.value))
    }
    case 'valuePath': {
      const { resolved, values } = lookup(filter.path)
      return values.some(element => evaluateElementFilter(resolved.attribute, filter.filter, element))
    }
  }
}

/** The values a path reaches, arrays flattened, absent ones dropped. */
function collectValues (container: unknown, path: ScimAttributePath): unknown[] {
  const top = flatten([getProperty(container, path.attribute)])
  if (path.subAttribute === undefined) return top
  return flatten(top.map(element => getProperty(element, path.subAttribute as string)))
}

function flatten (values: unknown[]): unknown[] {
  return values.flat().filter(v => v !== undefined && v !== null)
}

/** Stored objects are canonical; the case-insensitive fallback keeps stray input harmless. */
export function getProperty (object: unknown, name: string): unknown {
  if (!isPlainObject(object)) return undefined
  if (Object.hasOwn(object, name)) return object[name]
  const lower = name.toLowerCase()
  const key = Object.keys(object).find(k => k.toLowerCase() === lower)
  return key === undefined ? undefined : object[key]
}

export function isPresent (value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false
  if (Array.isArray(value)) return value.length > 0
  if (isPlainObject(value)) return Object.keys(value).length > 0
  return true
}

function compareOne (leaf: ScimAttributeDefinition, op: ScimCompareOperator, actual: unknown, expected: ScimCompareFilter['value']): boolean {
  switch (leaf.type) {
    case 'boolean':
      return typeof actual === 'boolean' && actual === expected
    case 'integer':
    case 'decimal':
      return typeof actual === 'number' && order(op, actual, expected as number)
    case 'dateTime': {
      const a = typeof actual === 'string' ? parseDateTime(actual) : undefined
      return a !== undefined && order(op, a, parseDateTime(expected as string) as number)
    }
    default:
      return typeof actual === 'string' && compareStrings(op, actual, expected as string, leaf.caseExact)
  }
}

function compareStrings (op: ScimCompareOperator, actual: string, expected: string, caseExact: boolean): boolean {
  const a = caseExact ? actual : actual.toLowerCase()
  const e = caseExact ? expected : expected.toLowerCase()
  switch (op) {
    case 'co': return a.includes(e)
    case 'sw': return a.startsWith(e)
    case 'ew': return a.endsWith(e)
    default: return order(op, a, e)
  }
}

function order<T extends number | string> (op: ScimCompareOperator, a: T, e: T): boolean {
  switch (op) {
    case 'eq': return a === e
    case 'gt': return a > e
    case 'ge': return a >= e
    case 'lt': return a < e
    case 'le': return a <= e
    default: return false
  }
}
