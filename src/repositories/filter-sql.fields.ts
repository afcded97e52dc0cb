/**
 * The SQL building blocks of the filter compiler (filter-sql.ts): what a SCIM attribute path
 * denotes in SQL (`ScimSqlField`), and how one value is compared or tested for presence with
 * exactly the rules of `evaluateFilter` (src/scim/filter/evaluate.ts).
 *
 * Every predicate built here is "true when it matches, false or NULL otherwise"; the compiler
 * wraps negations in `coalesce(…, false)`, so NULL never leaks into a `not`.
 * Values are always parameters. JSON keys come from the registry's canonical names only and
 * are passed as parameters too.
 */
import { sql } from 'kysely'
import type { Expression, RawBuilder, SqlBool } from 'kysely'
import type { ScimAttributePath, ScimCompareOperator } from '../scim/filter/ast.js'
import type { ScimAttributeDefinition } from '../scim/schema/types.js'

/** What one SCIM value is in SQL. */
export type ScimSqlValue =
  /** A text column or expression; `sort` overrides the sort key (meta.version sorts by number). */
  | { readonly kind: 'text', readonly expr: Expression<unknown>, readonly sort?: Expression<unknown> }
  /** A uuid column, compared as its (lowercase) text form, which is what responses show. */
  | { readonly kind: 'uuid', readonly expr: Expression<unknown> }
  | { readonly kind: 'boolean', readonly expr: Expression<unknown> }
  /** A timestamptz column; responses show it truncated to milliseconds (Date#toISOString). */
  | { readonly kind: 'timestamp', readonly expr: Expression<unknown> }
  /** A jsonb value that may be missing, JSON null, or of the wrong JSON type (never matches). */
  | { readonly kind: 'json', readonly expr: Expression<unknown> }
  /** Present on every element but not comparable: a URL ($ref, meta.location) without the base URL. */
  | { readonly kind: 'opaque', readonly name: string, readonly sort?: Expression<unknown> }

/** What the compiler may know about the request. */
export interface ScimFilterOptions {
  /** Absolute SCIM base URL (…/scim/v2): makes `meta.location` and `$ref` comparable. */
  readonly baseUrl?: string
}

/** One element of a multi-valued attribute, inside an `exists`. */
export interface ScimSqlElement {
  /** The element as a whole (for `emails pr`). */
  readonly whole: ScimSqlValue
  sub (name: string): ScimSqlValue
}

/** A multi-valued attribute: rows (JSON array elements or membership rows) to quantify over. */
export interface ScimSqlElements {
  /** `exists (… where predicate(element))`: the "any element" rule of RFC 7644 §3.4.2.2. */
  any (predicate: (element: ScimSqlElement) => Expression<SqlBool>): Expression<SqlBool>
  /**
   * An index-backed condition implied by "some element has `value` equal (case-insensitively)
   * to `value`", ANDed in front of the exact `exists` so the planner can use a GIN index.
   */
  readonly valueEqualsPrefilter?: (value: string) => Expression<SqlBool>
  /**
   * The same for "some element's `value` contains `text`" (implied by `co`, `sw` and `ew`
   * on `value`), for a trigram index.
   */
  readonly valueContainsPrefilter?: (text: string) => Expression<SqlBool>
}

export interface ScimSqlPrefilters {
  readonly equals?: (value: string) => Expression<SqlBool>
  readonly contains?: (text: string) => Expression<SqlBool>
}

export type ScimSqlField =
  | { readonly kind: 'value', readonly value: ScimSqlValue }
  | { readonly kind: 'elements', readonly elements: ScimSqlElements, readonly subAttribute: string | undefined }

const UUID_LOWER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export const FALSE: RawBuilder<SqlBool> = sql<SqlBool>`false`
export const TRUE: RawBuilder<SqlBool> = sql<SqlBool>`true`

/** `jsonb -> key`, the key a parameter. */
export function jsonGet (json: Expression<unknown>, key: string): RawBuilder<unknown> {
  return sql`(${json} -> ${key}::text)`
}

/**
 * Elements of a stored multi-valued attribute, as evaluate.ts `collectValues` sees them: an
 * array's elements except JSON nulls, a lone object as one element, nothing for absent/null.
 */
export function jsonElements (json: Expression<unknown>, prefilters: ScimSqlPrefilters = {}): ScimSqlElements {
  const elem = sql.ref('scim_e.elem')
  const element: ScimSqlElement = { whole: { kind: 'json', expr: elem }, sub: name => ({ kind: 'json', expr: jsonGet(elem, name) }) }
  return {
    any: predicate => sql<SqlBool>`exists (select 1 from jsonb_array_elements(case jsonb_typeof(${json}) when 'array' then ${json} when 'object' then jsonb_build_array(${json}) else '[]'::jsonb end) as scim_e(elem) where scim_e.elem <> 'null'::jsonb and ${predicate(element)})`,
    ...(prefilters.equals === undefined ? {} : { valueEqualsPrefilter: prefilters.equals }),
    ...(prefilters.contains === undefined ? {} : { valueContainsPrefilter: prefilters.contains })
  }
}

/** A value is present unless null, "", [] or {} (evaluate.ts `isPresent`). */
export function compilePresent (value: ScimSqlValue): Expression<SqlBool> {
  switch (value.kind) {
    case 'text': return sql<SqlBool>`(${value.expr} <> '')`
    case 'json': return sql<SqlBool>`(${value.expr} not in ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{}'::jsonb))`
    case 'opaque': return TRUE
    default: return sql<SqlBool>`(${value.expr} is not null)`
  }
}

/** `value op expected` for every operator but `ne` (the compiler negates `eq`). */
export function compileCompare (
  value: ScimSqlValue, leaf: ScimAttributeDefinition, op: ScimCompareOperator, expected: string | number | boolean
): Expression<SqlBool> {
  switch (value.kind) {
    case 'text': return compareText(value.expr, leaf.caseExact, op, String(expected))
    case 'uuid': return compareUuid(value.expr, leaf.caseExact, op, String(expected))
    case 'boolean': return sql<SqlBool>`(${value.expr} = ${expected === true})`
    case 'timestamp': return compareTimestamp(value.expr, op, String(expected))
    case 'json': return compareJson(value.expr, leaf, op, expected)
    case 'opaque': throw new FilterNotSupportedError(value.name)
  }
}

/** Thrown for a path we cannot compare in SQL; the public API turns it into a 400. */
export class FilterNotSupportedError extends Error {
  constructor (readonly attributeName: string) { super(`Filtering on "${attributeName}" values is not supported.`) }
}

/** `%`, `_` and `\` in the client's text are literal characters (used with `escape '\'`). */
export function escapeLike (text: string): string {
  return text.replace(/[\\%_]/g, ch => '\\' + ch)
}

const ORDER_SQL = { gt: sql`>`, ge: sql`>=`, lt: sql`<`, le: sql`<=` } as const

/**
 * caseExact false compares `lower()` of both sides; the ordering operators compare in
 * `COLLATE "C"` (code-point order, like the evaluator's `<` on strings). `userName eq` is
 * `lower(user_name) = lower($1)`, the expression of users__organization_id_user_name__key.
 */
export function compareText (expr: Expression<unknown>, caseExact: boolean, op: ScimCompareOperator, expected: string): Expression<SqlBool> {
  const nul = expected.indexOf('\u0000')
  if (nul >= 0) return compareWithNul(expr, caseExact, op, expected.slice(0, nul))
  const fold = (e: Expression<unknown>): Expression<unknown> => caseExact ? e : sql`lower(${e})`
  const actual = fold(expr)
  switch (op) {
    case 'eq': return sql<SqlBool>`(${actual} = ${fold(sql`${expected}::text`)})`
    case 'co': return like(actual, fold(sql`${'%' + escapeLike(expected) + '%'}::text`))
    case 'sw': return like(actual, fold(sql`${escapeLike(expected) + '%'}::text`))
    case 'ew': return like(actual, fold(sql`${'%' + escapeLike(expected)}::text`))
    case 'gt': case 'ge': case 'lt': case 'le':
      return sql<SqlBool>`(${actual} collate "C" ${ORDER_SQL[op]} ${fold(sql`${expected}::text`)} collate "C")`
    case 'ne': throw new Error('ne is compiled as not eq')
  }
}

/**
 * Postgres text cannot hold U+0000 (a parameter containing it fails the query), so no stored
 * value contains one: equality and substring tests are false, and for a stored `a`,
 * `a > p + "\0" + rest` ⇔ `a > p`, `a < p + "\0" + rest` ⇔ `a <= p`.
 */
function compareWithNul (expr: Expression<unknown>, caseExact: boolean, op: ScimCompareOperator, prefix: string): Expression<SqlBool> {
  switch (op) {
    case 'gt': case 'ge': return compareText(expr, caseExact, 'gt', prefix)
    case 'lt': case 'le': return compareText(expr, caseExact, 'le', prefix)
    default: return FALSE
  }
}

function like (actual: Expression<unknown>, pattern: Expression<unknown>): Expression<SqlBool> {
  return sql<SqlBool>`(${actual} like ${pattern} escape '\\')`
}

/**
 * A uuid's text is lowercase, so `eq` can only match a well-formed uuid (any case when the
 * attribute is caseExact false): compare as uuid (index-friendly) or match nothing, and
 * never let a non-uuid value reach a `::uuid` cast.
 */
function compareUuid (expr: Expression<unknown>, caseExact: boolean, op: ScimCompareOperator, expected: string): Expression<SqlBool> {
  if (op !== 'eq') return compareText(sql`${expr}::text`, caseExact, op, expected)
  const candidate = caseExact ? expected : expected.toLowerCase()
  return UUID_LOWER.test(candidate) ? sql<SqlBool>`(${expr} = ${candidate}::uuid)` : FALSE
}

/**
 * Responses show timestamps truncated to milliseconds, and the evaluator compares those
 * instants; `expected` has millisecond precision (resolve.ts). So with t = trunc_ms(col):
 * t = x ⇔ x ≤ col < x+1ms, t > x ⇔ col ≥ x+1ms, t ≤ x ⇔ col < x+1ms. Plain column
 * comparisons keep the (organization_id, created_at, id) index usable.
 */
function compareTimestamp (expr: Expression<unknown>, op: ScimCompareOperator, expected: string): Expression<SqlBool> {
  const ms = Date.parse(expected)
  const at = new Date(ms).toISOString()
  const next = new Date(ms + 1).toISOString()
  switch (op) {
    case 'eq': return sql<SqlBool>`(${expr} >= ${at}::timestamptz and ${expr} < ${next}::timestamptz)`
    case 'gt': return sql<SqlBool>`(${expr} >= ${next}::timestamptz)`
    case 'ge': return sql<SqlBool>`(${expr} >= ${at}::timestamptz)`
    case 'lt': return sql<SqlBool>`(${expr} < ${at}::timestamptz)`
    case 'le': return sql<SqlBool>`(${expr} < ${next}::timestamptz)`
    default: throw new Error(`operator ${op} on a timestamp`)
  }
}

/**
 * A jsonb value matches only when its JSON type is the attribute's (evaluate.ts checks
 * `typeof`). CASE, unlike AND, guarantees the type test runs before the cast.
 */
function compareJson (json: Expression<unknown>, leaf: ScimAttributeDefinition, op: ScimCompareOperator, expected: string | number | boolean): Expression<SqlBool> {
  switch (leaf.type) {
    case 'boolean':
      return sql<SqlBool>`(${json} = to_jsonb(${expected === true}::boolean))`
    case 'integer':
    case 'decimal': {
      const operator = op === 'eq' ? sql`=` : ORDER_SQL[op as keyof typeof ORDER_SQL]
      return sql<SqlBool>`(case when jsonb_typeof(${json}) = 'number' then (${json})::numeric ${operator} ${String(expected)}::numeric end)`
    }
    case 'dateTime': {
      // scim_datetime (migration 0003) parses like date-time.ts and is NULL for junk.
      const operator = op === 'eq' ? sql`=` : ORDER_SQL[op as keyof typeof ORDER_SQL]
      return sql<SqlBool>`(scim_datetime(case when jsonb_typeof(${json}) = 'string' then ${json} #>> '{}' end) ${operator} ${String(expected)}::timestamptz)`
    }
    default:
      return sql<SqlBool>`(jsonb_typeof(${json}) = 'string' and ${compareText(sql`(${json} #>> '{}')`, leaf.caseExact, op, String(expected))})`
  }
}

/** The sort key of a singular value: caseExact false text sorts case-insensitively. */
export function sortKey (value: ScimSqlValue, leaf: ScimAttributeDefinition): Expression<unknown> {
  switch (value.kind) {
    case 'text': return value.sort ?? (leaf.caseExact ? value.expr : sql`lower(${value.expr})`)
    case 'json': {
      const text = sql`(${value.expr} #>> '{}')`
      return leaf.caseExact || leaf.type !== 'string' ? text : sql`lower(${text})`
    }
    case 'opaque':
      if (value.sort === undefined) throw new FilterNotSupportedError(value.name)
      return value.sort
    default: return value.expr
  }
}

/**
 * `meta.location` / `$ref`: `<base URL><endpoint><id>` as the mappers build it. Without the
 * base URL only its presence (always) is known. Sorting by it is sorting by id (constant
 * prefix; a uuid's text order is its byte order).
 */
export function resourceUrl (options: ScimFilterOptions, name: string, endpoint: '/Users/' | '/Groups/', id: Expression<unknown>): ScimSqlValue {
  if (options.baseUrl === undefined) return { kind: 'opaque', name, sort: id }
  return { kind: 'text', expr: sql`(${options.baseUrl + endpoint}::text || ${id}::text)`, sort: id }
}

/**
 * The default mapping: the attribute inside the `attributes` jsonb column, extension
 * attributes under their schema URN key (the stored canonical resource).
 */
export function jsonAttributeField (
  attributes: Expression<unknown>, coreSchema: string, path: ScimAttributePath, attribute: ScimAttributeDefinition,
  prefilters?: ScimSqlPrefilters
): ScimSqlField {
  const container = path.schema === coreSchema || path.schema === undefined ? attributes : jsonGet(attributes, path.schema)
  const top = jsonGet(container, attribute.name)
  if (attribute.multiValued) return { kind: 'elements', elements: jsonElements(top, prefilters), subAttribute: path.subAttribute }
  return { kind: 'value', value: { kind: 'json', expr: path.subAttribute === undefined ? top : jsonGet(top, path.subAttribute) } }
}

/** RFC 7643 §3.1 `meta`, computed from columns as the mappers do. */
export function metaField (table: 'users' | 'groups', subAttribute: string | undefined, options: ScimFilterOptions): ScimSqlField {
  const column = (name: string): Expression<unknown> => sql.ref(`${table}.${name}`)
  const value = (v: ScimSqlValue): ScimSqlField => ({ kind: 'value', value: v })
  switch (subAttribute) {
    case 'created': return value({ kind: 'timestamp', expr: column('created_at') })
    case 'lastModified': return value({ kind: 'timestamp', expr: column('last_modified') })
    // meta.version is the ETag, W/"<version>" (src/http/etag.ts); it sorts by the number.
    case 'version': return value({ kind: 'text', expr: sql`('W/"' || ${column('version')}::text || '"')`, sort: column('version') })
    case 'resourceType': return value({ kind: 'text', expr: sql`${table === 'users' ? 'User' : 'Group'}::text` })
    case 'location': return value(resourceUrl(options, 'meta.location', table === 'users' ? '/Users/' : '/Groups/', column('id')))
    default: return value({ kind: 'opaque', name: subAttribute === undefined ? 'meta' : `meta.${subAttribute}` })
  }
}
