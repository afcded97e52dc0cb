/**
 * Shared request parsing for resource routes (Users, Groups): list parameters from a GET query
 * string or a POST .search body, and attributes/excludedAttributes for single-resource
 * requests. Generic on purpose: nothing here knows a resource type.
 *
 * CLIENTS.md "Transport": query strings arrive with `+` or `%20` for spaces, raw quotes and a
 * trailing `&` (all decoded by the query parser to the same values), and with unknown
 * parameters such as Entra's `aadOptscim062020`, which are ignored. Parameter names are
 * matched case-insensitively (RFC 7644 does not make them case-sensitive; clients differ).
 */
import { ScimError } from '../../scim/errors.js'
import type { ScimListParamsInput } from '../../scim/list-params.js'
import type { ScimProjectionParams } from '../../scim/projection.js'
import { isPlainObject } from '../../scim/resource.js'
import { SEARCH_REQUEST_SCHEMA } from '../../scim/schema/registry.js'

const LIST_PARAMETERS = [
  'filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes', 'cursor'
] as const

type ListParameter = typeof LIST_PARAMETERS[number]

const BY_LOWER_NAME = new Map<string, ListParameter>(LIST_PARAMETERS.map(name => [name.toLowerCase(), name]))

/** Picks the known list parameters out of a parsed query string or body; the rest is ignored. */
function pickParameters (source: Record<string, unknown>): ScimListParamsInput {
  const out: Partial<Record<ListParameter, unknown>> = {}
  for (const [key, value] of Object.entries(source)) {
    const name = BY_LOWER_NAME.get(key.trim().toLowerCase())
    if (name === undefined || value === undefined) continue
    // A name given twice in different case is as ambiguous as one given twice.
    out[name] = out[name] === undefined ? value : [out[name], value].flat()
  }
  return out
}

/** GET /Resources?… */
export function listInputFromQuery (query: unknown): ScimListParamsInput {
  return isPlainObject(query) ? pickParameters(query) : {}
}

/**
 * POST /Resources/.search (RFC 7644 §3.4.3): the same parameters in a JSON body. A `schemas`
 * that does not name SearchRequest is refused; a missing one is tolerated (inferred).
 */
export function listInputFromSearchBody (body: unknown): ScimListParamsInput {
  if (body === undefined || body === null) return {}
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('A .search body must be a SearchRequest object.')
  const schemas = body.schemas
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.some(s => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase()))) {
    throw ScimError.invalidSyntax(`A .search body must have "schemas": ["${SEARCH_REQUEST_SCHEMA}"].`)
  }
  return pickParameters(body)
}

function nameList (raw: unknown): string[] {
  const parts = Array.isArray(raw) ? raw : [raw]
  return parts.filter((part): part is string => typeof part === 'string')
    .flatMap(part => part.split(',')).map(name => name.trim()).filter(name => name !== '')
}

/** attributes/excludedAttributes of GET/POST/PUT/PATCH on one resource (RFC 7644 §3.9). */
export function projectionFromQuery (query: unknown): ScimProjectionParams {
  const input = listInputFromQuery(query)
  return {
    attributes: nameList(input.attributes),
    excludedAttributes: nameList(input.excludedAttributes)
  }
}

/** True when the request names attributes to return (Group PATCH then answers 200, not 204). */
export function asksForAttributes (projection: ScimProjectionParams): boolean {
  return (projection.attributes?.length ?? 0) > 0 || (projection.excludedAttributes?.length ?? 0) > 0
}
