/**
 * Resolves a syntactic filter against a resource's schemas (RFC 7644 §3.4.2.2): canonical
 * names and URNs, type-checked and type-converted values, and the rewrites documented in
 * `ast.ts`. Everything a consumer (evaluator, SQL compiler) may rely on is established here,
 * so they need no error handling of their own.
 */
import { ScimError } from '../errors.js'
import { findAttribute, findSchemaUri, findSubAttribute } from '../schema/registry.js'
import type { ScimResourceSchema } from '../schema/registry.js'
import type { ScimAttributeDefinition } from '../schema/types.js'
import {
  andFilter, attributePath, compareFilter, notFilter, orFilter, presentFilter, valuePathFilter
} from './ast.js'
import type { ScimAttributePath, ScimCompareOperator, ScimFilter, ScimFilterValue } from './ast.js'
import { parseDateTime } from './date-time.js'
import { parseFilter } from './parser.js'
import { printAttributePath, printFilterValue } from './printer.js'

const ORDERING: readonly ScimCompareOperator[] = ['gt', 'ge', 'lt', 'le']
const SUBSTRING: readonly ScimCompareOperator[] = ['co', 'sw', 'ew']

/** A resolved path with the definition of what it names (the sub-attribute when there is one). */
export interface ScimResolvedFilterPath {
  readonly path: ScimAttributePath
  readonly attribute: ScimAttributeDefinition
  readonly leaf: ScimAttributeDefinition
}

export function resolveFilter (resource: ScimResourceSchema, filter: ScimFilter): ScimFilter {
  return resolveNode(filter, path => resolveTopPath(resource, path))
}

/**
 * Resolves a filter whose paths are relative to one element of `attribute` (the inside of
 * `emails[…]`, also used by PATCH paths).
 */
export function resolveElementFilter (attribute: ScimAttributeDefinition, filter: ScimFilter): ScimFilter {
  if (attribute.type !== 'complex' || !attribute.multiValued) {
    throw ScimError.invalidFilter(`"${attribute.name}[…]" needs a multi-valued complex attribute; "${attribute.name}" is not one.`)
  }
  return resolveNode(filter, path => resolveElementPath(attribute, path), attribute.name)
}

type PathResolver = (path: ScimAttributePath) => ScimResolvedFilterPath

function resolveNode (filter: ScimFilter, resolvePath: PathResolver, inside?: string): ScimFilter {
  switch (filter.kind) {
    case 'and':
      return andFilter(resolveNode(filter.left, resolvePath, inside), resolveNode(filter.right, resolvePath, inside))
    case 'or':
      return orFilter(resolveNode(filter.left, resolvePath, inside), resolveNode(filter.right, resolvePath, inside))
    case 'not':
      return notFilter(resolveNode(filter.filter, resolvePath, inside))
    case 'present':
      return presentFilter(resolvePath(filter.path).path)
    case 'compare':
      return resolveCompare(resolvePath(filter.path), filter.op, filter.value)
    case 'valuePath': {
      if (inside !== undefined) throw ScimError.invalidFilter(`Value paths cannot be nested (inside "${inside}[…]").`)
      const resolved = resolvePath(filter.path)
      if (filter.path.subAttribute !== undefined) {
        throw ScimError.invalidFilter(`A value path names an attribute, not "${printAttributePath(filter.path)}".`)
      }
      const inner = resolveElementFilter(resolved.attribute, filter.filter)
      return valuePathFilter(resolved.path, inner)
    }
  }
}

export function resolveTopPath (resource: ScimResourceSchema, path: ScimAttributePath): ScimResolvedFilterPath {
  if (path.schema !== undefined && findSchemaUri(resource, path.schema) === undefined) {
    throw ScimError.invalidFilter(`Unknown schema "${path.schema}" for ${resource.resourceType.name} resources.`)
  }
  const found = findAttribute(resource, path.schema, path.attribute)
  if (found === undefined) {
    throw ScimError.invalidFilter(`Unknown attribute "${printAttributePath(path)}" for ${resource.resourceType.name} resources.`)
  }
  const attribute = found.attribute
  if (path.subAttribute === undefined) {
    return { path: attributePath(attribute.name, undefined, found.schema), attribute, leaf: attribute }
  }
  const sub = findSubAttribute(attribute, path.subAttribute)
  if (sub === undefined) {
    throw ScimError.invalidFilter(`Unknown attribute "${printAttributePath(path)}": "${attribute.name}" has no sub-attribute "${path.subAttribute}".`)
  }
  return { path: attributePath(attribute.name, sub.name, found.schema), attribute, leaf: sub }
}

function resolveElementPath (attribute: ScimAttributeDefinition, path: ScimAttributePath): ScimResolvedFilterPath {
  const sub = path.schema === undefined && path.subAttribute === undefined
    ? findSubAttribute(attribute, path.attribute)
    : undefined
  if (sub === undefined) {
    throw ScimError.invalidFilter(`Unknown attribute "${printAttributePath(path)}" inside "${attribute.name}[…]": expected one of ${(attribute.subAttributes ?? []).map(s => s.name).join(', ')}.`)
  }
  return { path: attributePath(sub.name), attribute: sub, leaf: sub }
}

function resolveCompare (resolved: ScimResolvedFilterPath, op: ScimCompareOperator, value: ScimFilterValue): ScimFilter {
  let { path, leaf } = resolved
  if (leaf.type === 'complex') {
    // RFC 7644 §3.4.2.2: `emails co "x"` on a multi-valued attribute means its `value`.
    const valueSub = leaf.multiValued && path.subAttribute === undefined ? findSubAttribute(leaf, 'value') : undefined
    if (valueSub === undefined) {
      throw ScimError.invalidFilter(`"${printAttributePath(path)}" is complex: compare one of its sub-attributes instead.`)
    }
    path = attributePath(path.attribute, valueSub.name, path.schema)
    leaf = valueSub
  }
  if (value === null) {
    // `eq null` / `ne null` only make sense as absence tests; other operators have no meaning.
    if (op === 'eq') return notFilter(presentFilter(path))
    if (op === 'ne') return presentFilter(path)
    throw ScimError.invalidFilter(`"${op} null" is not a valid comparison for "${printAttributePath(path)}"; use "pr".`)
  }
  checkOperator(leaf, op, path)
  return compareFilter(path, op, convertValue(leaf, value, path))
}

function checkOperator (leaf: ScimAttributeDefinition, op: ScimCompareOperator, path: ScimAttributePath): void {
  const numericOrDate = leaf.type === 'integer' || leaf.type === 'decimal' || leaf.type === 'dateTime'
  const textual = leaf.type === 'string' || leaf.type === 'reference'
  const allowed = op === 'eq' || op === 'ne' ||
    (ORDERING.includes(op) && (textual || numericOrDate)) ||
    (SUBSTRING.includes(op) && textual)
  if (!allowed) {
    throw ScimError.invalidFilter(`Operator "${op}" cannot be used on "${printAttributePath(path)}" (type ${leaf.type}).`)
  }
}

function convertValue (leaf: ScimAttributeDefinition, value: string | number | boolean, path: ScimAttributePath): ScimFilterValue {
  const mismatch = (): ScimError => ScimError.invalidFilter(
    `Value ${printFilterValue(value)} does not fit "${printAttributePath(path)}" (type ${leaf.type}).`)
  switch (leaf.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value
      // Clients write `active eq "True"` and `active eq True` (CLIENTS.md: booleans as strings).
      const lower = String(value).toLowerCase()
      if (lower === 'true' || lower === 'false') return lower === 'true'
      throw mismatch()
    }
    case 'integer':
    case 'decimal': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isFinite(n)) throw mismatch()
      return n
    }
    case 'dateTime': {
      const ms = typeof value === 'string' ? parseDateTime(value) : undefined
      if (ms === undefined) throw mismatch()
      return new Date(ms).toISOString()
    }
    default:
      // A bare number or boolean for a string attribute (`externalId eq 12345`) means its text.
      return String(value)
  }
}

/** `filter` query parameter → resolved AST: the one call the list endpoints need. */
export function parseResolvedFilter (resource: ScimResourceSchema, text: string): ScimFilter {
  return resolveFilter(resource, parseFilter(text))
}
