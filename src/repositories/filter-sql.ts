/**
 * SCIM filters (RFC 7644 §3.4.2.2) and sortBy (§3.4.2.3) as Kysely expressions.
 *
 * API:
 *   compileUserFilter(eb, filter, { baseUrl }?)  → Expression<SqlBool> for `selectFrom('users').where(…)`
 *   compileGroupFilter(eb, filter, { baseUrl }?) → Expression<SqlBool> for `selectFrom('groups').where(…)`
 *   userSortExpression(path)        → Expression for `.orderBy(…)`; path from resolveSortBy
 *   groupSortExpression(path)
 * - `filter` is the RESOLVED AST (`resolveFilter(USER_RESOURCE, parseFilter(text))`).
 * - The query must select from the unaliased table (`users` / `groups`): the expressions
 *   reference `users.<column>` / `groups.<column>`.
 * - The caller adds `organization_id = $org` and, for sorting, `id` as the tie-breaker.
 * - `baseUrl` (the absolute SCIM base, as the mappers use it) makes `meta.location`,
 *   `groups.$ref` and `members.$ref` comparable; without it, comparing them throws ScimError
 *   invalidFilter (400) and `… pr` on them is true. Pass it.
 * - An unsortable path throws ScimError invalidValue (400); sorting by meta.location is by id.
 *
 * Meaning: exactly `evaluateFilter` (src/scim/filter/evaluate.ts), on the resource the
 * mappers build from a row (attributes + columns + meta + groups/members). The differential
 * test (test/repositories/filter-sql.differential.test.ts) holds the two together. Two
 * places where the engine, not this code, decides and the evaluator may differ: case folding
 * of non-ASCII letters (Postgres `lower()` under the database's ctype vs JS `toLowerCase`, e.g.
 * "İ") and code-point order above U+FFFF (`COLLATE "C"` vs UTF-16 code units).
 * Stored resources are assumed canonical (validation guarantees it): attribute names in
 * canonical case, singular attributes not arrays.
 *
 * Mapping (per-resource allow-lists in user.filter-map.ts / group.filter-map.ts):
 * - columns for userName, externalId, displayName, userType, active, id, meta.*; caseExact
 *   false compares `lower(col)` with `lower($v)` (the unique index's expression);
 * - other attributes: `attributes` jsonb, a value matching only when its JSON type is the
 *   attribute's; multi-valued ones through `exists (… jsonb_array_elements …)`, value paths
 *   compiled against one element; `emails.value eq` adds the GIN prefilter of migration 0003;
 * - `groups` (User) and `members` (Group): `exists` over group_members;
 * - `ne` and `not` are `not coalesce(…, false)`: absent values make `ne` true, as in evaluate.ts.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely'
import { sql } from 'kysely'
import type { Database } from '../db/schema.js'
import { ScimError } from '../scim/errors.js'
import type { ScimAttributePath, ScimCompareOperator, ScimFilter } from '../scim/filter/ast.js'
import { resolveTopPath } from '../scim/filter/resolve.js'
import { findSubAttribute, isSortable, resolveAttributeName } from '../scim/schema/registry.js'
import type { ScimResourceSchema } from '../scim/schema/registry.js'
import type { ScimAttributeDefinition } from '../scim/schema/types.js'
import {
  FilterNotSupportedError, compileCompare, compilePresent, sortKey
} from './filter-sql.fields.js'
import type { ScimFilterOptions, ScimSqlElements, ScimSqlField } from './filter-sql.fields.js'
import { GROUP_FILTER_MAP } from './group.filter-map.js'
import { USER_FILTER_MAP } from './user.filter-map.js'

export type { ScimFilterOptions } from './filter-sql.fields.js'

/** A resource's allow-list: what each resolved attribute path is in SQL. */
export interface ScimFilterMap {
  readonly resource: ScimResourceSchema
  field (path: ScimAttributePath, attribute: ScimAttributeDefinition, options: ScimFilterOptions): ScimSqlField
}

export function compileUserFilter (_eb: ExpressionBuilder<Database, 'users'>, filter: ScimFilter, options: ScimFilterOptions = {}): Expression<SqlBool> {
  return compileFilter(USER_FILTER_MAP, filter, options)
}

export function compileGroupFilter (_eb: ExpressionBuilder<Database, 'groups'>, filter: ScimFilter, options: ScimFilterOptions = {}): Expression<SqlBool> {
  return compileFilter(GROUP_FILTER_MAP, filter, options)
}

export function userSortExpression (canonicalPath: string): Expression<unknown> {
  return sortExpression(USER_FILTER_MAP, canonicalPath)
}

export function groupSortExpression (canonicalPath: string): Expression<unknown> {
  return sortExpression(GROUP_FILTER_MAP, canonicalPath)
}

interface Lookup {
  (path: ScimAttributePath): { field: ScimSqlField, attribute: ScimAttributeDefinition, leaf: ScimAttributeDefinition }
}

export function compileFilter (map: ScimFilterMap, filter: ScimFilter, options: ScimFilterOptions = {}): Expression<SqlBool> {
  const lookup: Lookup = path => {
    const resolved = resolveTopPath(map.resource, path)
    return { field: map.field(resolved.path, resolved.attribute, options), attribute: resolved.attribute, leaf: resolved.leaf }
  }
  try {
    return compileNode(filter, lookup)
  } catch (error) {
    if (error instanceof FilterNotSupportedError) throw ScimError.invalidFilter(error.message)
    throw error
  }
}

/** Two-valued negation: `not` over "false or NULL" is true (evaluate.ts: absent ⇒ `ne` true). */
function negate (expression: Expression<SqlBool>): Expression<SqlBool> {
  return sql<SqlBool>`(not coalesce(${expression}, false))`
}

function compileNode (filter: ScimFilter, lookup: Lookup): Expression<SqlBool> {
  switch (filter.kind) {
    case 'and':
      return sql<SqlBool>`(${compileNode(filter.left, lookup)} and ${compileNode(filter.right, lookup)})`
    case 'or':
      return sql<SqlBool>`(${compileNode(filter.left, lookup)} or ${compileNode(filter.right, lookup)})`
    case 'not':
      return negate(compileNode(filter.filter, lookup))
    case 'present': {
      const { field } = lookup(filter.path)
      if (field.kind === 'value') return compilePresent(field.value)
      const sub = field.subAttribute
      return field.elements.any(element => compilePresent(sub === undefined ? element.whole : element.sub(sub)))
    }
    case 'compare': {
      const { field, leaf } = lookup(filter.path)
      const value = filter.value as string | number | boolean
      if (filter.op === 'ne') return negate(compareField(field, leaf, 'eq', value))
      return compareField(field, leaf, filter.op, value)
    }
    case 'valuePath': {
      const { field, attribute } = lookup(filter.path)
      if (field.kind !== 'elements') throw new Error(`value path on singular "${attribute.name}"`)
      const exists = field.elements.any(element => compileNode(filter.filter, path => {
        const leaf = findSubAttribute(attribute, path.attribute) as ScimAttributeDefinition
        return { field: { kind: 'value', value: element.sub(leaf.name) }, attribute: leaf, leaf }
      }))
      return withPrefilter(field.elements, valueEquals(filter.filter), exists, valueContains(filter.filter))
    }
  }
}

function compareField (
  field: ScimSqlField, leaf: ScimAttributeDefinition, op: ScimCompareOperator, value: string | number | boolean
): Expression<SqlBool> {
  if (field.kind === 'value') return compileCompare(field.value, leaf, op, value)
  const sub = field.subAttribute as string
  const exists = field.elements.any(element => compileCompare(element.sub(sub), leaf, op, value))
  const equals = op === 'eq' && sub === 'value' && typeof value === 'string' && !value.includes('\u0000') ? value : undefined
  const contains = sub === 'value' ? containedText(op, value) : undefined
  return withPrefilter(field.elements, equals, exists, contains)
}

/** The text an element's value must contain for `co`/`sw`/`ew` to hold (U+0000: such a test is false anyway). */
function containedText (op: ScimCompareOperator, value: unknown): string | undefined {
  return (op === 'co' || op === 'sw' || op === 'ew') && typeof value === 'string' && !value.includes('\u0000') ? value : undefined
}

function withPrefilter (elements: ScimSqlElements, equals: string | undefined, exists: Expression<SqlBool>, contains?: string): Expression<SqlBool> {
  if (equals !== undefined && elements.valueEqualsPrefilter !== undefined) {
    return sql<SqlBool>`(${elements.valueEqualsPrefilter(equals)} and ${exists})`
  }
  if (contains !== undefined && elements.valueContainsPrefilter !== undefined) {
    return sql<SqlBool>`(${elements.valueContainsPrefilter(contains)} and ${exists})`
  }
  return exists
}

/** `value co/sw/ew "x"` among the top-level conjuncts of a value-path filter, like valueEquals. */
function valueContains (filter: ScimFilter): string | undefined {
  if (filter.kind === 'and') return valueContains(filter.left) ?? valueContains(filter.right)
  if (filter.kind === 'compare' && filter.path.attribute === 'value') return containedText(filter.op, filter.value)
  return undefined
}

/**
 * `value eq "x"` among the top-level conjuncts of a value-path filter (Entra's
 * `emails[type eq "work"].value eq "x"`): any matching element then has that value.
 */
function valueEquals (filter: ScimFilter): string | undefined {
  if (filter.kind === 'and') return valueEquals(filter.left) ?? valueEquals(filter.right)
  // U+0000 cannot be a text parameter; such a comparison is false anyway (filter-sql.fields.ts).
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.attribute === 'value' && typeof filter.value === 'string' &&
    !filter.value.includes('\u0000')) {
    return filter.value
  }
  return undefined
}

function sortExpression (map: ScimFilterMap, canonicalPath: string): Expression<unknown> {
  const resolved = resolveAttributeName(map.resource, canonicalPath)
  if (resolved === undefined || !isSortable(resolved)) {
    throw ScimError.invalidValue(`sortBy "${canonicalPath}" cannot be sorted on.`)
  }
  const path: ScimAttributePath = resolved.subAttribute === undefined
    ? { schema: resolved.schema, attribute: resolved.attribute.name }
    : { schema: resolved.schema, attribute: resolved.attribute.name, subAttribute: resolved.subAttribute.name }
  const field = map.field(path, resolved.attribute, {})
  if (field.kind !== 'value') throw ScimError.invalidValue(`sortBy "${canonicalPath}" cannot be sorted on.`)
  try {
    return sortKey(field.value, resolved.subAttribute ?? resolved.attribute)
  } catch (error) {
    if (error instanceof FilterNotSupportedError) throw ScimError.invalidValue(`sortBy "${canonicalPath}" cannot be sorted on.`)
    throw error
  }
}
