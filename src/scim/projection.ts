/**
 * Attribute projection for responses: RFC 7643 §2.2 / §7 `returned`, and the `attributes` /
 * `excludedAttributes` parameters of RFC 7644 §3.4.2.5 and §3.9.
 *
 * - `always` attributes (id; `schemas` is kept too) are returned whatever is asked;
 *   `never` (password) is never returned; `request` only when named in `attributes`.
 * - With `attributes`, only the named attributes (plus `always`) are returned. If both
 *   parameters are given, `attributes` wins and `excludedAttributes` is ignored
 *   (RFC 7644 §3.4.2.5 treats them as alternatives).
 * - With `excludedAttributes`, the default set minus those; `always` cannot be excluded.
 * - Names are case-insensitive: `name`, `name.givenName`, `emails.value`, `meta.created`,
 *   URN-qualified (`urn:…:enterprise:2.0:User:department`) or a whole schema URN.
 * - Names that match nothing are ignored: the RFC is silent and clients send odd ones
 *   (legacy URNs, attributes of other resource types). Failing the request helps nobody.
 * - Keys that are not in the registry are dropped, so internal fields never leak.
 * - A value filter in `attributes` (`emails[type eq "work"]`, sent by Microsoft's reference
 *   collection) returns the attribute with only the matching elements. RFC 7644 does not
 *   define filters there; this is the reading that gives the client what it asked for. In
 *   `excludedAttributes` such a name is ignored.
 */
import { ScimError } from './errors.js'
import { evaluateElementFilter } from './filter/evaluate.js'
import type { ScimFilter } from './filter/ast.js'
import { parsePath } from './path.js'
import { isPlainObject } from './resource.js'
import type { ScimResourceObject } from './resource.js'
import { resolveAttributeName, splitUrnPrefix, topLevelAttributes } from './schema/registry.js'
import type { ScimResourceSchema } from './schema/registry.js'
import type { ScimAttributeDefinition } from './schema/types.js'

export interface ScimProjectionParams {
  readonly attributes?: readonly string[]
  readonly excludedAttributes?: readonly string[]
}

/** What to return of one top-level attribute: everything, only some, or all but some sub-attributes. */
type ScimPick =
  | { readonly mode: 'all' }
  | { readonly mode: 'only' | 'except', readonly subs: ReadonlySet<string> }

type ScimNameSet = Map<string, 'all' | Set<string>>
/** Element filters from `attributes=emails[type eq "work"]`, by top-level key. */
type ScimElementFilters = Map<string, ScimFilter>

const ALL: ScimPick = { mode: 'all' }

const keyOf = (schema: string, attributeName: string): string => `${schema}\n${attributeName}`

function schemaAttributes (resource: ScimResourceSchema, schema: string): readonly ScimAttributeDefinition[] {
  if (schema === resource.core.id) return topLevelAttributes(resource)
  return resource.extensions.find(e => e.id === schema)?.attributes ?? []
}

/** `attr[filter]` or `attr[filter].sub`: records the filter and returns the name without it. */
function takeElementFilter (resource: ScimResourceSchema, name: string, filters: ScimElementFilters | undefined): string | undefined {
  try {
    const path = parsePath(resource, name)
    if (path.attribute === undefined || path.filter === undefined) return undefined
    if (filters !== undefined) filters.set(keyOf(path.schema, path.attribute), path.filter)
    return path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`
  } catch (error) {
    if (error instanceof ScimError) return undefined
    throw error
  }
}

/** Parses attribute names into top-level keys → whole attribute or a set of sub-attribute names. */
function parseNames (resource: ScimResourceSchema, names: readonly string[] | undefined, filters?: ScimElementFilters): ScimNameSet {
  const set: ScimNameSet = new Map()
  for (const raw of names ?? []) {
    let name = raw.trim()
    if (name === '') continue
    if (name.includes('[')) {
      if (filters === undefined) continue
      const plain = takeElementFilter(resource, name, filters)
      if (plain === undefined) continue
      name = plain
    }
    const { schema, rest } = splitUrnPrefix(resource, name)
    if (schema !== undefined && rest === '') {
      for (const a of schemaAttributes(resource, schema)) set.set(keyOf(schema, a.name), 'all')
      continue
    }
    const resolved = resolveAttributeName(resource, name)
    if (resolved === undefined) continue
    const key = keyOf(resolved.schema, resolved.attribute.name)
    const current = set.get(key)
    if (resolved.subAttribute === undefined) set.set(key, 'all')
    else if (current === undefined) set.set(key, new Set([resolved.subAttribute.name]))
    else if (current !== 'all') current.add(resolved.subAttribute.name)
  }
  return set
}

interface ScimSelection {
  readonly include: ScimNameSet | undefined
  readonly exclude: ScimNameSet
  readonly filters: ScimElementFilters
}

function buildSelection (resource: ScimResourceSchema, params: ScimProjectionParams): ScimSelection {
  const hasAttributes = (params.attributes ?? []).some(a => a.trim() !== '')
  const filters: ScimElementFilters = new Map()
  return hasAttributes
    ? { include: parseNames(resource, params.attributes, filters), exclude: new Map(), filters }
    : { include: undefined, exclude: parseNames(resource, params.excludedAttributes), filters }
}

/** The pick for one top-level attribute, or undefined when it is not returned. */
function pickAttribute (attribute: ScimAttributeDefinition, key: string, selection: ScimSelection): ScimPick | undefined {
  if (attribute.returned === 'never') return undefined
  if (attribute.returned === 'always') return ALL
  if (selection.include !== undefined) {
    const named = selection.include.get(key)
    if (named === undefined) return undefined
    return named === 'all' ? ALL : { mode: 'only', subs: named }
  }
  if (attribute.returned === 'request') return undefined
  const excluded = selection.exclude.get(key)
  if (excluded === 'all') return undefined
  return excluded === undefined ? ALL : { mode: 'except', subs: excluded }
}

function includesSub (sub: ScimAttributeDefinition, pick: ScimPick): boolean {
  if (sub.returned === 'never') return false
  if (sub.returned === 'always') return true
  if (pick.mode === 'only') return pick.subs.has(sub.name)
  if (sub.returned === 'request') return false
  return pick.mode === 'all' || !pick.subs.has(sub.name)
}

function projectComplex (attribute: ScimAttributeDefinition, value: Record<string, unknown>, pick: ScimPick): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const sub of attribute.subAttributes ?? []) {
    if (value[sub.name] !== undefined && includesSub(sub, pick)) out[sub.name] = value[sub.name]
  }
  return out
}

/** Projects one attribute value; undefined when nothing of it remains. */
function projectValue (attribute: ScimAttributeDefinition, value: unknown, pick: ScimPick, filter: ScimFilter | undefined): unknown {
  if (attribute.type !== 'complex') return value
  if (Array.isArray(value)) {
    // An empty list stays (a new group has `members: []`); a list emptied by projection goes.
    if (value.length === 0) return value
    const items = (filter === undefined ? value : value.filter(item => evaluateElementFilter(attribute, filter, item)))
      .map(item => isPlainObject(item) ? projectComplex(attribute, item, pick) : item)
      .filter(item => !isPlainObject(item) || Object.keys(item).length > 0)
    return items.length === 0 ? undefined : items
  }
  if (!isPlainObject(value)) return value
  const out = projectComplex(attribute, value, pick)
  return Object.keys(out).length === 0 ? undefined : out
}

/** One top-level attribute a projection returns, decided once per request. */
interface ScimPlannedAttribute {
  readonly attribute: ScimAttributeDefinition
  readonly pick: ScimPick
  readonly filter: ScimFilter | undefined
}

interface ScimProjectionPlan {
  readonly selection: ScimSelection
  readonly core: readonly ScimPlannedAttribute[]
  readonly extensions: ReadonlyArray<{ readonly id: string, readonly attributes: readonly ScimPlannedAttribute[] }>
}

function planAttributes (attributes: readonly ScimAttributeDefinition[], schema: string, selection: ScimSelection): ScimPlannedAttribute[] {
  const planned: ScimPlannedAttribute[] = []
  for (const attribute of attributes) {
    const key = keyOf(schema, attribute.name)
    const pick = pickAttribute(attribute, key, selection)
    if (pick !== undefined) planned.push({ attribute, pick, filter: selection.filters.get(key) })
  }
  return planned
}

function planProjection (resource: ScimResourceSchema, params: ScimProjectionParams): ScimProjectionPlan {
  const selection = buildSelection(resource, params)
  const core = resource.core.id
  return {
    selection,
    core: planAttributes(schemaAttributes(resource, core), core, selection),
    extensions: resource.extensions.map(extension => ({ id: extension.id, attributes: planAttributes(extension.attributes, extension.id, selection) }))
  }
}

function projectAttributes (planned: readonly ScimPlannedAttribute[], source: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const { attribute, pick, filter } of planned) {
    const value = source[attribute.name]
    if (value === undefined || value === null) continue
    const projected = projectValue(attribute, value, pick, filter)
    if (projected !== undefined) out[attribute.name] = projected
  }
}

function applyPlan (plan: ScimProjectionPlan, obj: ScimResourceObject): ScimResourceObject {
  const out: ScimResourceObject = {}
  if (obj.schemas !== undefined) out.schemas = obj.schemas
  projectAttributes(plan.core, obj, out)
  for (const extension of plan.extensions) {
    const value = obj[extension.id]
    if (!isPlainObject(value)) continue
    const projected: Record<string, unknown> = {}
    projectAttributes(extension.attributes, value, projected)
    // An extension with nothing left is dropped rather than sent as `{}`.
    if (Object.keys(projected).length > 0) out[extension.id] = projected
  }
  return out
}

/**
 * Plans are kept by what the parameters say, per resource type: a request's one parameters
 * object serves every resource of its page, and clients send few distinct projections
 * (none, `excludedAttributes=members`, `attributes=id`), so names are parsed and each
 * attribute's pick decided once, not per resource or per request. At most PLAN_CACHE_SIZE
 * plans per type are kept (then the cache starts over), each for parameters of at most
 * PLAN_KEY_MAX characters, so odd parameters cannot grow it; others are planned per call.
 */
const PLAN_CACHE_SIZE = 256
const PLAN_KEY_MAX = 2048
// Weak by resource type: a type made for one request would not stay behind.
const plans = new WeakMap<ScimResourceSchema, Map<string, ScimProjectionPlan>>()

const NO_PARAMS: ScimProjectionParams = Object.freeze({})

function planKey (params: ScimProjectionParams): string {
  // JSON keeps list boundaries exact (a name may hold any character, even a comma).
  return JSON.stringify([params.attributes ?? [], params.excludedAttributes ?? []])
}

function planFor (resource: ScimResourceSchema, params: ScimProjectionParams): ScimProjectionPlan {
  let byKey = plans.get(resource)
  if (byKey === undefined) {
    byKey = new Map()
    plans.set(resource, byKey)
  }
  const key = planKey(params)
  if (key.length > PLAN_KEY_MAX) return planProjection(resource, params)
  let plan = byKey.get(key)
  if (plan === undefined) {
    plan = planProjection(resource, params)
    if (byKey.size >= PLAN_CACHE_SIZE) byKey.clear()
    byKey.set(key, plan)
  }
  return plan
}

/** Returns a new object holding only what the client gets back. The input is not modified. */
export function projectResource (resource: ScimResourceSchema, obj: ScimResourceObject, params: ScimProjectionParams = NO_PARAMS): ScimResourceObject {
  return applyPlan(planFor(resource, params), obj)
}

/**
 * Would `name` (a top-level attribute, optionally `attr.sub` or URN-qualified) be returned
 * with these parameters? Lets the service skip loading group members that will not be sent
 * (`excludedAttributes=members`, `attributes=displayName`). Unknown names: false.
 */
export function wantsAttribute (resource: ScimResourceSchema, params: ScimProjectionParams, name: string): boolean {
  const { schema, rest } = splitUrnPrefix(resource, name)
  if (schema !== undefined && rest === '') {
    const selection = planFor(resource, params).selection
    return schemaAttributes(resource, schema).some(a => pickAttribute(a, keyOf(schema, a.name), selection) !== undefined)
  }
  const resolved = resolveAttributeName(resource, name)
  if (resolved === undefined) return false
  const pick = pickAttribute(resolved.attribute, keyOf(resolved.schema, resolved.attribute.name), planFor(resource, params).selection)
  if (pick === undefined) return false
  return resolved.subAttribute === undefined || includesSub(resolved.subAttribute, pick)
}
