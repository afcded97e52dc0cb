/**
 * List parameters of GET query strings (all strings, comma-separated attribute lists) and
 * of POST .search bodies (RFC 7644 §3.4.3: numbers and arrays of strings), and the
 * ListResponse envelope (RFC 7644 §3.4.2).
 */
import { ScimError } from './errors.js'
import { LIST_RESPONSE_SCHEMA, isSortable, resolveAttributeName } from './schema/registry.js'
import type { ScimResourceSchema } from './schema/registry.js'

export type ScimSortOrder = 'ascending' | 'descending'

export interface ScimListParamsInput {
  readonly filter?: unknown
  readonly startIndex?: unknown
  readonly count?: unknown
  readonly sortBy?: unknown
  readonly sortOrder?: unknown
  readonly attributes?: unknown
  readonly excludedAttributes?: unknown
  readonly cursor?: unknown
}

export interface ScimListLimits {
  readonly defaultCount: number
  readonly maxCount: number
}

export interface ScimListParams {
  /** The raw filter text; parsing it is the filter module's job. Absent or blank: undefined. */
  readonly filter: string | undefined
  readonly startIndex: number
  readonly count: number
  /** Raw sortBy; check it with resolveSortBy. */
  readonly sortBy: string | undefined
  /** RFC 7644 §3.4.2.3: ascending unless descending is asked for. */
  readonly sortOrder: ScimSortOrder
  readonly attributes: string[]
  readonly excludedAttributes: string[]
  /** RFC 9865: undefined = index pagination; '' = first page of cursor pagination. */
  readonly cursor: string | undefined
}

const INTEGER = /^[+-]?\d+$/

/** A repeated query parameter arrives as an array; a scalar parameter may appear only once. */
function single (name: string, value: unknown): unknown {
  if (!Array.isArray(value)) return value
  if (value.length === 1) return value[0]
  throw ScimError.invalidValue(`Parameter "${name}" was given ${value.length} times; give it once.`)
}

function parseInteger (name: string, raw: unknown): number | undefined {
  const value = single(name, raw)
  if (value === undefined || value === null) return undefined
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'string') {
    const text = value.trim()
    // `count=` with nothing after it is as good as no count.
    if (text === '') return undefined
    if (INTEGER.test(text)) {
      const n = Number(text)
      if (Number.isSafeInteger(n)) return n
    }
  }
  throw ScimError.invalidValue(`Parameter "${name}" must be an integer; got ${JSON.stringify(value)}.`)
}

function parseString (name: string, raw: unknown): string | undefined {
  const value = single(name, raw)
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw ScimError.invalidValue(`Parameter "${name}" must be a string.`)
  return value
}

/** `a,b` (query string), `["a","b"]` (.search body) or a repeated query parameter: all the same. */
function parseNameList (name: string, raw: unknown): string[] {
  if (raw === undefined || raw === null) return []
  const parts = Array.isArray(raw) ? raw : [raw]
  const names: string[] = []
  for (const part of parts) {
    if (typeof part !== 'string') throw ScimError.invalidValue(`Parameter "${name}" must be a list of attribute names.`)
    names.push(...part.split(',').map(s => s.trim()).filter(s => s !== ''))
  }
  return names
}

function parseSortOrder (raw: unknown): ScimSortOrder {
  const value = parseString('sortOrder', raw)?.trim()
  if (value === undefined || value === '') return 'ascending'
  const lower = value.toLowerCase()
  if (lower === 'ascending' || lower === 'descending') return lower
  throw ScimError.invalidValue(`Parameter "sortOrder" must be "ascending" or "descending"; got ${JSON.stringify(value)}.`)
}

/**
 * RFC 7644 §3.4.2.4: startIndex < 1 is read as 1, count < 0 as 0. Counts above the maximum
 * are capped (the response's itemsPerPage tells the client what it got).
 */
export function parseListParams (input: ScimListParamsInput, limits: ScimListLimits): ScimListParams {
  const startIndex = parseInteger('startIndex', input.startIndex) ?? 1
  const count = parseInteger('count', input.count) ?? limits.defaultCount
  const filter = parseString('filter', input.filter)
  const sortBy = parseString('sortBy', input.sortBy)?.trim()
  return {
    filter: filter === undefined || filter.trim() === '' ? undefined : filter,
    startIndex: Math.max(1, startIndex),
    count: Math.min(limits.maxCount, Math.max(0, count)),
    sortBy: sortBy === '' ? undefined : sortBy,
    sortOrder: parseSortOrder(input.sortOrder),
    attributes: parseNameList('attributes', input.attributes),
    excludedAttributes: parseNameList('excludedAttributes', input.excludedAttributes),
    cursor: parseString('cursor', input.cursor)
  }
}

/**
 * Canonical path of a sortBy attribute (`name.familyName`, `urn:…:enterprise:2.0:User:department`).
 * RFC 7644 §3.4.2.3 does not say what an unusable sortBy yields. We answer 400 invalidValue
 * rather than silently ignoring it: an import that believes its pages are sorted by a key
 * they are not sorted by is worse than an error the client can see.
 */
export function resolveSortBy (resource: ScimResourceSchema, sortBy: string): string {
  const resolved = resolveAttributeName(resource, sortBy.trim())
  if (resolved === undefined) {
    throw ScimError.invalidValue(`sortBy "${sortBy}" is not an attribute of ${resource.resourceType.name}.`)
  }
  if (!isSortable(resolved)) {
    throw ScimError.invalidValue(`sortBy "${resolved.path}" cannot be sorted on: only single-valued attributes can.`)
  }
  return resolved.path
}

export interface ScimListResponseOptions {
  readonly totalResults: number
  /** Omit with cursor pagination (RFC 9865). */
  readonly startIndex?: number
  readonly itemsPerPage: number
  readonly nextCursor?: string
  readonly previousCursor?: string
}

export interface ScimListResponse<T> {
  schemas: string[]
  totalResults: number
  startIndex?: number
  itemsPerPage: number
  nextCursor?: string
  previousCursor?: string
  Resources: T[]
}

function assertInteger (name: string, value: number): void {
  // Okta and Entra require JSON integers here; a string or float is a bug in the caller.
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer, got ${value}`)
}

export function buildListResponse<T> (resources: readonly T[], options: ScimListResponseOptions): ScimListResponse<T> {
  assertInteger('totalResults', options.totalResults)
  assertInteger('itemsPerPage', options.itemsPerPage)
  const response: ScimListResponse<T> = { schemas: [LIST_RESPONSE_SCHEMA], totalResults: options.totalResults, itemsPerPage: options.itemsPerPage, Resources: [...resources] }
  if (options.startIndex !== undefined) {
    assertInteger('startIndex', options.startIndex)
    response.startIndex = options.startIndex
  }
  if (options.nextCursor !== undefined) response.nextCursor = options.nextCursor
  if (options.previousCursor !== undefined) response.previousCursor = options.previousCursor
  // Key order as in the RFC examples: Resources last.
  const { Resources, ...head } = response
  return { ...head, Resources }
}
