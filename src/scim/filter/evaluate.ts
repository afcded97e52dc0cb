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
 * `attribute`; PATCH and projection use it to select elements.
 */
export function evaluateElementFilter (attribute: ScimAttributeDefinition, filter: ScimFilter, element: unknown): boolean {
  return compileElementFilter(attribute, filter)(element)
}

export type ScimElementPredicate = (element: unknown) => boolean

const compiledElementFilters = new WeakMap<ScimFilter, { attribute: ScimAttributeDefinition, predicate: ScimElementPredicate }>()

/**
 * The element filter as a predicate, its sub-attributes looked up once rather than per
 * element: PATCH runs one filter over every element of a list (up to
 * MAX_MULTI_VALUED_VALUES) per operation. Same rules as evaluateNode, which stays the
 * reference; an unknown sub-attribute still fails only when an element is tested.
 */
export function compileElementFilter (attribute: ScimAttributeDefinition, filter: ScimFilter): ScimElementPredicate {
  const cached = compiledElementFilters.get(filter)
  if (cached !== undefined && cached.attribute === attribute) return cached.predicate
  const predicate = compileElementNode(attribute, filter)
  compiledElementFilters.set(filter, { attribute, predicate })
  return predicate
}

function compileElementNode (attribute: ScimAttributeDefinition, filter: ScimFilter): ScimElementPredicate {
  switch (filter.kind) {
    case 'and': {
      const left = compileElementNode(attribute, filter.left)
      const right = compileElementNode(attribute, filter.right)
      return element => left(element) && right(element)
    }
    case 'or': {
      const left = compileElementNode(attribute, filter.left)
      const right = compileElementNode(attribute, filter.right)
      return element => left(element) || right(element)
    }
    case 'not': {
      const inner = compileElementNode(attribute, filter.filter)
      return element => !inner(element)
    }
    case 'present': {
      const read = elementReader(attribute, filter.path)
      return element => read(element).values.some(isPresent)
    }
    case 'compare': {
      const read = elementReader(attribute, filter.path)
      const { op, value } = filter
      const fast = stringComparator(attribute, filter)
      if (fast !== undefined) {
        const name = filter.path.attribute
        const any = (actual: unknown): boolean => typeof actual === 'string'
          ? fast(actual)
          : Array.isArray(actual) && actual.some(v => typeof v === 'string' && fast(v))
        return op === 'ne' ? element => !any(getProperty(element, name)) : element => any(getProperty(element, name))
      }
      if (op === 'ne') {
        return element => {
          const { leaf, values } = read(element)
          return !values.some(v => compareOne(leaf, 'eq', v, value))
        }
      }
      return element => {
        const { leaf, values } = read(element)
        return values.some(v => compareOne(leaf, op, v, value))
      }
    }
    case 'valuePath':
      return element => evaluateNode(filter, path => elementLookup(attribute, path, element))
  }
}

/**
 * For a string sub-attribute known at compile time: the comparison with the expected text
 * folded once, not per element (compareStrings folds both sides on every call). Same
 * results as compareOne; for `ne` it is the `eq` test, negated over all values by the caller.
 */
function stringComparator (attribute: ScimAttributeDefinition, filter: ScimCompareFilter): ((actual: string) => boolean) | undefined {
  const leaf = filter.path.subAttribute === undefined ? findSubAttribute(attribute, filter.path.attribute) : undefined
  if (leaf === undefined || (leaf.type !== 'string' && leaf.type !== 'reference') || typeof filter.value !== 'string') return undefined
  const caseExact = leaf.caseExact
  const e = caseExact ? filter.value : filter.value.toLowerCase()
  const fold = (a: string): string => caseExact ? a : a.toLowerCase()
  switch (filter.op) {
    case 'eq': return a => fold(a) === e
    case 'ne': return a => fold(a) === e
    case 'co': return a => fold(a).includes(e)
    case 'sw': return a => fold(a).startsWith(e)
    case 'ew': return a => fold(a).endsWith(e)
    default: return a => compareStrings(filter.op, a, filter.value as string, caseExact)
  }
}

function elementLookup (attribute: ScimAttributeDefinition, path: ScimAttributePath, element: unknown): { resolved: ScimResolvedFilterPath, values: unknown[] } {
  const leaf = findSubAttribute(attribute, path.attribute)
  if (leaf === undefined || path.subAttribute !== undefined) {
    throw ScimError.invalidFilter(`Unknown attribute "${path.attribute}" inside "${attribute.name}[…]".`)
  }
  return { resolved: { path, attribute: leaf, leaf }, values: flatten([getProperty(element, path.attribute)]) }
}

function elementReader (attribute: ScimAttributeDefinition, path: ScimAttributePath): (element: unknown) => { leaf: ScimAttributeDefinition, values: unknown[] } {
  const leaf = path.subAttribute === undefined ? findSubAttribute(attribute, path.attribute) : undefined
  if (leaf === undefined) {
    // Unknown here: fail as the generic lookup does, when (and only when) an element is tested.
    return element => {
      const { resolved, values } = elementLookup(attribute, path, element)
      return { leaf: resolved.leaf, values }
    }
  }
  const name = path.attribute
  return element => ({ leaf, values: valuesOf(getProperty(element, name)) })
}

const NO_VALUES: unknown[] = []

/** flatten([value]) without the intermediate arrays, for the common scalar case. */
function valuesOf (value: unknown): unknown[] {
  if (value === undefined || value === null) return NO_VALUES
  if (!Array.isArray(value)) return [value]
  return value.filter(v => v !== undefined && v !== null)
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
      return values.some(compileElementFilter(resolved.attribute, filter.filter))
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
