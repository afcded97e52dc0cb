/**
 * A root-level query (`GET /` and `POST /.search`, RFC 7644 §3.4.2.1 and §3.4.3) checked and
 * resolved for every resource type before any database work, as prepareListQuery does for one.
 *
 * Filters across resource types, RFC 7644 §3.4.2.1: "for filtered attributes that are not
 * part of a particular resource type, the service provider SHALL treat the attribute as if
 * there is no attribute value". So per resource type:
 * - a comparison, `pr` or value path on an attribute the type does not define is what the
 *   evaluator answers for an absent value: false, except `ne` (true: no value equals it) and
 *   `eq null` (true: the value is absent). `userName eq "x"` therefore finds only users, and
 *   `not (userName pr)` or `userName ne "x"` finds every group;
 * - these constants are folded away, so each type gets an ordinary resolved filter for the
 *   SQL compiler, or none (everything), or is left out of the query (nothing can match).
 * An attribute that no resource type defines is still 400 invalidFilter, as on /Users and
 * /Groups: the sentence above speaks of attributes that exist elsewhere, and a typo must not
 * silently turn into "no results" (or, under `ne`, into "everything").
 *
 * sortBy follows the same reading: an attribute one type lacks has no value there, and
 * missing values sort last ascending, first descending (as on the typed endpoints). A name no
 * type defines, or one that cannot be sorted on, is 400 invalidValue (resolveSortBy).
 * attributes/excludedAttributes are applied per resource; names a type lacks are ignored
 * there, as they already are on the typed endpoints (projection.ts).
 *
 * RFC 7644 §3.4.2.1 lets a server answer a root query that would return too many results
 * with 400 `tooMany`. This one never needs to: results come in pages of at most
 * `filter.maxResults`, with the true totalResults, like every other list.
 */
import { assertOnePaginationMethod } from './cursor.js'
import { ScimError } from './errors.js'
import { andFilter, notFilter, orFilter } from './filter/ast.js'
import type { ScimAttributePath, ScimFilter } from './filter/ast.js'
import { parseFilter } from './filter/parser.js'
import { printAttributePath } from './filter/printer.js'
import { resolveFilter } from './filter/resolve.js'
import { parseListParams, resolveSortBy, type ScimListLimits, type ScimListParams, type ScimListParamsInput } from './list-params.js'
import type { ScimProjectionParams } from './projection.js'
import { findAttribute, findSchemaUri, findSubAttribute, resolveAttributeName } from './schema/registry.js'
import type { ScimResourceSchema } from './schema/registry.js'

/** A filter for one resource type with the other types' attributes folded into constants. */
export type ScimFoldedFilter = boolean | ScimFilter

/** What one resource type contributes to a root query. */
export interface ScimRootTypeQuery {
  readonly resource: ScimResourceSchema
  /** The resolved filter for this type; undefined: every resource of the type. */
  readonly filter: ScimFilter | undefined
  /** This type's canonical sortBy path; undefined when the type lacks it (or none was asked). */
  readonly sortBy: string | undefined
}

export interface ScimRootListQuery {
  readonly params: ScimListParams
  readonly projection: ScimProjectionParams
  /** The types the filter can match, in the order given; the others need no query at all. */
  readonly types: readonly ScimRootTypeQuery[]
  /**
   * The sortBy that applies (canonical, as the first type defining it spells it), or
   * undefined for the default order; binds cursors and chooses keyset or offset paging.
   */
  readonly sortBy: string | undefined
}

export function prepareRootListQuery (
  resources: readonly ScimResourceSchema[], input: ScimListParamsInput, limits: ScimListLimits
): ScimRootListQuery {
  assertOnePaginationMethod(input)
  const params = parseListParams(input, limits)
  const folded = params.filter === undefined
    ? resources.map((): ScimFoldedFilter => true)
    : resolveRootFilter(resources, parseFilter(params.filter))
  const sortBy = params.sortBy === undefined ? undefined : resolveRootSortBy(resources, params.sortBy)
  const types: ScimRootTypeQuery[] = []
  resources.forEach((resource, i) => {
    const filter = folded[i] as ScimFoldedFilter
    if (filter === false) return
    types.push({ resource, filter: filter === true ? undefined : filter, sortBy: sortBy?.get(resource) })
  })
  return {
    params,
    projection: { attributes: params.attributes, excludedAttributes: params.excludedAttributes },
    types,
    sortBy: sortBy === undefined ? undefined : [...sortBy.values()][0]
  }
}

/** Whether `resource` defines the attribute a filter path names (schema, attribute, sub-attribute). */
export function definesPath (resource: ScimResourceSchema, path: ScimAttributePath): boolean {
  if (path.schema !== undefined && findSchemaUri(resource, path.schema) === undefined) return false
  const found = findAttribute(resource, path.schema, path.attribute)
  if (found === undefined) return false
  return path.subAttribute === undefined || findSubAttribute(found.attribute, path.subAttribute) !== undefined
}

/**
 * One folded filter per resource (same order). Errors of a type that defines an attribute
 * (a value that does not fit, an operator the type does not allow) are the request's errors.
 */
export function resolveRootFilter (resources: readonly ScimResourceSchema[], filter: ScimFilter): ScimFoldedFilter[] {
  assertDefinedSomewhere(resources, filter)
  return resources.map(resource => foldFor(resource, filter))
}

function assertDefinedSomewhere (resources: readonly ScimResourceSchema[], filter: ScimFilter): void {
  switch (filter.kind) {
    case 'and':
    case 'or':
      assertDefinedSomewhere(resources, filter.left)
      assertDefinedSomewhere(resources, filter.right)
      return
    case 'not':
      assertDefinedSomewhere(resources, filter.filter)
      return
    default:
      if (!resources.some(resource => definesPath(resource, filter.path))) {
        const names = resources.map(resource => resource.resourceType.name).join(', ')
        throw ScimError.invalidFilter(`Unknown attribute "${printAttributePath(filter.path)}": no resource type (${names}) has it.`)
      }
  }
}

function foldFor (resource: ScimResourceSchema, filter: ScimFilter): ScimFoldedFilter {
  switch (filter.kind) {
    case 'and': {
      const left = foldFor(resource, filter.left)
      const right = foldFor(resource, filter.right)
      if (left === false || right === false) return false
      if (left === true) return right
      if (right === true) return left
      return andFilter(left, right)
    }
    case 'or': {
      const left = foldFor(resource, filter.left)
      const right = foldFor(resource, filter.right)
      if (left === true || right === true) return true
      if (left === false) return right
      if (right === false) return left
      return orFilter(left, right)
    }
    case 'not': {
      const inner = foldFor(resource, filter.filter)
      return typeof inner === 'boolean' ? !inner : notFilter(inner)
    }
    default:
      if (definesPath(resource, filter.path)) return resolveFilter(resource, filter)
      return absentValueMatches(filter)
  }
}

/** What a leaf says about an attribute without a value (evaluate.ts: absent ⇒ only `ne`, and `eq null`, hold). */
function absentValueMatches (filter: ScimFilter): boolean {
  if (filter.kind !== 'compare') return false
  return filter.value === null ? filter.op === 'eq' : filter.op === 'ne'
}

/** Each type's canonical sortBy path, for the types that have the attribute. */
function resolveRootSortBy (resources: readonly ScimResourceSchema[], sortBy: string): Map<ScimResourceSchema, string> {
  const paths = new Map<ScimResourceSchema, string>()
  for (const resource of resources) {
    if (resolveAttributeName(resource, sortBy.trim()) !== undefined) paths.set(resource, resolveSortBy(resource, sortBy))
  }
  if (paths.size === 0) {
    const names = resources.map(resource => resource.resourceType.name).join(', ')
    throw ScimError.invalidValue(`sortBy "${sortBy}" is not an attribute of any resource type (${names}).`)
  }
  return paths
}
