/**
 * The SCIM filter AST (RFC 7644 §3.4.2.2). Nodes are frozen plain objects with a `kind`
 * discriminant, in the style of Kysely's operation nodes, so consumers `switch (node.kind)`
 * and TypeScript checks that every kind is handled.
 *
 * Two stages share these types:
 * - `parseFilter(text)` is purely syntactic: names are as the client wrote them, `schema` is
 *   set only when the client wrote a URN prefix.
 * - `resolveFilter(resource, ast)` returns the *resolved* form, which the in-memory evaluator
 *   and the SQL compiler consume:
 *   - every top-level `path.schema` is the full schema URN the attribute belongs to (the core
 *     schema for `id`, `externalId`, `meta`), `attribute`/`subAttribute` are in canonical case;
 *   - `emails eq "x"` on a multi-valued complex attribute became `emails.value eq "x"`;
 *   - `attr eq null` became `not (attr pr)` and `attr ne null` became `attr pr`, so `value` is
 *     never `null` in a resolved `compare`;
 *   - values have the attribute's type: booleans for boolean attributes ("True" accepted),
 *     numbers for integer/decimal, strings for string/reference/binary, and dateTime values
 *     rewritten to `Date#toISOString()` form (UTC, milliseconds);
 *   - inside a `valuePath`, paths are relative to one element of the multi-valued attribute:
 *     `attribute` is the sub-attribute name, `schema` and `subAttribute` are absent.
 */

/** An attribute path: `attribute`, `attribute.subAttribute`, optionally URN-qualified. */
export interface ScimAttributePath {
  /** Schema URN (`urn:ietf:params:scim:schemas:core:2.0:User`); absent inside a value path. */
  readonly schema?: string
  readonly attribute: string
  readonly subAttribute?: string
}

export type ScimCompareOperator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'

export const SCIM_COMPARE_OPERATORS: readonly ScimCompareOperator[] = Object.freeze([
  'eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'
])

/** A comparison literal: a JSON string, number, `true`, `false` or `null`. */
export type ScimFilterValue = string | number | boolean | null

/** `path op value`, e.g. `userName eq "bjensen"`. */
export interface ScimCompareFilter {
  readonly kind: 'compare'
  readonly path: ScimAttributePath
  readonly op: ScimCompareOperator
  readonly value: ScimFilterValue
}

/** `path pr`: the attribute has a value that is not null, "", [] or {}. */
export interface ScimPresentFilter {
  readonly kind: 'present'
  readonly path: ScimAttributePath
}

export interface ScimAndFilter {
  readonly kind: 'and'
  readonly left: ScimFilter
  readonly right: ScimFilter
}

export interface ScimOrFilter {
  readonly kind: 'or'
  readonly left: ScimFilter
  readonly right: ScimFilter
}

export interface ScimNotFilter {
  readonly kind: 'not'
  readonly filter: ScimFilter
}

/**
 * `emails[type eq "work" and value co "@x.org"]`: true when at least one element of the
 * multi-valued complex attribute `path` satisfies `filter`, whose paths are relative to that
 * element. `path` never has a `subAttribute`; value paths do not nest.
 * Entra's `emails[type eq "work"].value eq "x"` parses to
 * `emails[type eq "work" and value eq "x"]`.
 */
export interface ScimValuePathFilter {
  readonly kind: 'valuePath'
  readonly path: ScimAttributePath
  readonly filter: ScimFilter
}

export type ScimFilter =
  | ScimCompareFilter
  | ScimPresentFilter
  | ScimAndFilter
  | ScimOrFilter
  | ScimNotFilter
  | ScimValuePathFilter

/** Longest filter text accepted; longer input is rejected before parsing. */
export const MAX_FILTER_LENGTH = 4096
/** Deepest nesting of parentheses, `not` and value paths, so hostile input cannot exhaust the stack. */
export const MAX_FILTER_DEPTH = 50

export function attributePath (attribute: string, subAttribute?: string, schema?: string): ScimAttributePath {
  const path: { schema?: string, attribute: string, subAttribute?: string } = { attribute }
  if (schema !== undefined) path.schema = schema
  if (subAttribute !== undefined) path.subAttribute = subAttribute
  return Object.freeze(path)
}

export function compareFilter (path: ScimAttributePath, op: ScimCompareOperator, value: ScimFilterValue): ScimCompareFilter {
  return Object.freeze({ kind: 'compare', path, op, value })
}

export function presentFilter (path: ScimAttributePath): ScimPresentFilter {
  return Object.freeze({ kind: 'present', path })
}

export function andFilter (left: ScimFilter, right: ScimFilter): ScimAndFilter {
  return Object.freeze({ kind: 'and', left, right })
}

export function orFilter (left: ScimFilter, right: ScimFilter): ScimOrFilter {
  return Object.freeze({ kind: 'or', left, right })
}

export function notFilter (filter: ScimFilter): ScimNotFilter {
  return Object.freeze({ kind: 'not', filter })
}

export function valuePathFilter (path: ScimAttributePath, filter: ScimFilter): ScimValuePathFilter {
  return Object.freeze({ kind: 'valuePath', path, filter })
}
