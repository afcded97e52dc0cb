/**
 * A list request (GET /Resources or POST /Resources/.search) checked and resolved for one
 * resource type before any database work: a bad filter, sortBy or paging combination costs
 * nothing.
 */
import { assertOnePaginationMethod } from './cursor.js'
import type { ScimFilter } from './filter/ast.js'
import { parseResolvedFilter } from './filter/resolve.js'
import { parseListParams, resolveSortBy, type ScimListLimits, type ScimListParams, type ScimListParamsInput } from './list-params.js'
import type { ScimProjectionParams } from './projection.js'
import type { ScimResourceSchema } from './schema/registry.js'

export interface ScimListQuery {
  readonly params: ScimListParams
  readonly projection: ScimProjectionParams
  /** The resolved filter, ready for the SQL compiler or the evaluator. */
  readonly filter: ScimFilter | undefined
  /** Canonical attribute path to sort by. */
  readonly sortBy: string | undefined
}

export function prepareListQuery (resource: ScimResourceSchema, input: ScimListParamsInput, limits: ScimListLimits): ScimListQuery {
  assertOnePaginationMethod(input)
  const params = parseListParams(input, limits)
  return {
    params,
    projection: { attributes: params.attributes, excludedAttributes: params.excludedAttributes },
    filter: params.filter === undefined ? undefined : parseResolvedFilter(resource, params.filter),
    sortBy: params.sortBy === undefined ? undefined : resolveSortBy(resource, params.sortBy)
  }
}
