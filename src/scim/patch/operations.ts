/**
 * add / replace / remove at one resolved path of a resource document, RFC 7644 §3.5.2.1–3.
 * The document is the caller's private deep copy; these functions mutate it.
 *
 * Choices where the RFC is silent or clients need more (CLIENTS.md):
 * - add on a single-valued attribute is replace (§3.5.2.1); on a complex one both merge the
 *   given sub-attributes into the existing value (§3.5.2.1 and §3.5.2.3 say so for both).
 * - add on a multi-valued attribute appends values not already there (deep-equal, compared
 *   by a canonical key so the cost is O((n + m) log) rather than n × m, see `valueKey`);
 *   replace without filter replaces the whole list.
 * - `attr[filter].sub` or `attr[filter]` with add/replace and no matching element creates
 *   one, seeded with the filter's `eq` terms (Entra: `emails[type eq "work"].value` with no
 *   work email yet). A filter that cannot seed an element (`or`, `co`, …) is 400 noTarget.
 *   remove with a filter matching nothing is 400 noTarget (§3.5.2.2).
 * - `attr.sub` on a multi-valued attribute without a filter addresses every element.
 * - a `null` value for add/replace removes the target (never noTarget).
 * - setting `primary: true` on one element clears it on the others (RFC 7643 §2.4).
 * - readOnly and immutable targets are 400 mutability; removing a required attribute is
 *   400 invalidValue. readOnly sub-attributes inside a complex value are dropped, as on POST.
 */
import { isDeepStrictEqual } from 'node:util'
import { ScimError } from '../errors.js'
import type { ScimFilter } from '../filter/ast.js'
import { compileElementFilter, getProperty, listElements } from '../filter/evaluate.js'
import type { ScimPatchPath } from '../path.js'
import { isPlainObject } from '../resource.js'
import type { ScimResourceObject } from '../resource.js'
import type { ScimResourceSchema } from '../schema/registry.js'
import type { ScimAttributeDefinition } from '../schema/types.js'
import { canonicaliseValue } from '../validate.js'

type Doc = Record<string, unknown>

/** A path that names an attribute (not a bare extension URN). */
type AttributePath = ScimPatchPath & { readonly attribute: string, readonly attributeDefinition: ScimAttributeDefinition }

export function describePath (path: ScimPatchPath): string {
  const prefix = path.attribute === undefined ? path.schema : path.attribute
  return path.subAttribute === undefined ? prefix : `${prefix}.${path.subAttribute}`
}

function checkMutable (path: AttributePath): void {
  for (const def of [path.attributeDefinition, path.subAttributeDefinition]) {
    if (def !== undefined && (def.mutability === 'readOnly' || def.mutability === 'immutable')) {
      throw ScimError.mutability(`"${describePath(path)}" is ${def.mutability} and cannot be changed.`)
    }
  }
}

/** Where the attribute lives: the document for core and common attributes, else its extension object. */
function containerOf (resource: ScimResourceSchema, doc: ScimResourceObject, schema: string, create: boolean): Doc | undefined {
  if (schema === resource.core.id) return doc
  const existing = doc[schema]
  if (isPlainObject(existing)) return existing
  if (!create) return undefined
  const created: Doc = {}
  doc[schema] = created
  return created
}

export function setAtPath (resource: ScimResourceSchema, doc: ScimResourceObject, path: AttributePath, mode: 'add' | 'replace', value: unknown): void {
  checkMutable(path)
  if (value === null) {
    removeAtPath(resource, doc, path, undefined, false)
    return
  }
  const def = path.attributeDefinition
  const container = containerOf(resource, doc, path.schema, true) as Doc
  const label = describePath(path)
  if (path.filter !== undefined || (def.multiValued && path.subAttribute !== undefined)) {
    setInElements(container, path, mode, value)
  } else if (path.subAttribute !== undefined) {
    const target = isPlainObject(container[def.name]) ? container[def.name] as Doc : {}
    assign(target, path.subAttribute, canonicaliseValue(path.subAttributeDefinition as ScimAttributeDefinition, value, { path: label }))
    assign(container, def.name, Object.keys(target).length === 0 ? undefined : target)
  } else if (def.multiValued) {
    const canonical = canonicaliseValue(def, value, { path: label }) as unknown[]
    const [list, incoming] = mode === 'replace' ? [canonical, canonical] : mergeValues(listElements(container[def.name]), canonical)
    enforceSinglePrimary(list, incoming)
    assign(container, def.name, list.length === 0 ? undefined : list)
  } else if (def.type === 'complex') {
    // Entra clears the manager with `"value": ""`, which canonicalises to nothing: remove it.
    const incoming = canonicaliseValue(def, value, { path: label }) as Doc | undefined
    const current = container[def.name]
    assign(container, def.name, isPlainObject(current) && incoming !== undefined ? { ...current, ...incoming } : incoming)
  } else {
    assign(container, def.name, canonicaliseValue(def, value, { path: label }))
  }
}

/**
 * RFC 7644 §3.5.2.1 add: values equal to one already there are that element (no
 * duplicates, also among the new values). Returns the new list and the incoming values as
 * elements of it (for the primary rule). One key per value: O((n + m) log), not n × m.
 */
function mergeValues (existing: unknown[], canonical: unknown[]): [unknown[], unknown[]] {
  const byKey = new Map<string, unknown>()
  for (const element of existing) byKey.set(valueKey(element), element)
  const list = [...existing]
  const incoming = canonical.map(value => {
    const key = valueKey(value)
    const found = byKey.get(key)
    if (found !== undefined) return found
    byKey.set(key, value)
    list.push(value)
    return value
  })
  return [list, incoming]
}

/**
 * A string equal for two values exactly when isDeepStrictEqual holds for canonical values
 * (JSON scalars, arrays, plain objects in any key order): object keys sorted. Values are
 * canonical, so the depth is the schema's (complex attributes have scalar sub-attributes).
 */
export function valueKey (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(valueKey).join(',')}]`
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map(key => `${JSON.stringify(key)}:${valueKey(value[key])}`).join(',')}}`
  }
  return value === undefined ? 'undefined' : JSON.stringify(value)
}

function setInElements (container: Doc, path: AttributePath, mode: 'add' | 'replace', value: unknown): void {
  const def = path.attributeDefinition
  const label = describePath(path)
  const list = listElements(container[def.name])
  const matched = selectedIndexes(path, list)
  const written: unknown[] = []
  if (matched.length === 0) {
    const seed = path.filter === undefined ? {} : seedElement(path.filter)
    if (seed === undefined) throw ScimError.noTarget(`No element of "${def.name}" matches the path filter, and the filter cannot describe a new one.`)
    const given = path.subAttribute === undefined ? value : { [path.subAttribute]: value }
    const element = canonicaliseValue(def, given, { path: label, element: true }) as Doc | undefined
    if (element !== undefined) written.push({ ...seed, ...element })
    list.push(...written)
  }
  for (const index of matched) {
    const element = list[index] as Doc
    if (path.subAttribute !== undefined) {
      assign(element, path.subAttribute, canonicaliseValue(path.subAttributeDefinition as ScimAttributeDefinition, value, { path: label }))
      written.push(element)
      continue
    }
    const incoming = canonicaliseValue(def, value, { path: label, element: true }) as Doc | undefined
    const replacement = mode === 'add' ? { ...element, ...incoming } : { ...incoming }
    list[index] = replacement
    written.push(replacement)
  }
  enforceSinglePrimary(list, written)
  assign(container, def.name, list.length === 0 ? undefined : list)
}

/**
 * Positions of the elements the path's filter (none: every element) selects, in order. Only
 * objects are elements of complex attributes. The filter is compiled once per operation.
 */
function selectedIndexes (path: AttributePath, list: readonly unknown[]): number[] {
  const complex = path.attributeDefinition.type === 'complex'
  const predicate = path.filter === undefined ? undefined : compileElementFilter(path.attributeDefinition, path.filter)
  const out: number[] = []
  list.forEach((element, index) => {
    if (complex && !isPlainObject(element)) return
    if (predicate === undefined || predicate(element)) out.push(index)
  })
  return out
}

/**
 * The element that `emails[type eq "work"]` describes: the `eq` terms of an `and` chain.
 * Undefined when the filter is anything else, or contradicts itself.
 */
export function seedElement (filter: ScimFilter): Doc | undefined {
  if (filter.kind === 'compare' && filter.op === 'eq') return { [filter.path.attribute]: filter.value }
  if (filter.kind !== 'and') return undefined
  const left = seedElement(filter.left)
  const right = seedElement(filter.right)
  if (left === undefined || right === undefined) return undefined
  const conflict = Object.keys(right).some(key => key in left && !isDeepStrictEqual(left[key], right[key]))
  return conflict ? undefined : { ...left, ...right }
}

/** RFC 7643 §2.4: at most one `primary: true`; the value written last wins. */
function enforceSinglePrimary (list: unknown[], written: unknown[]): void {
  const winner = [...written].reverse().find(e => isPlainObject(e) && e.primary === true)
  if (winner === undefined) return
  for (const element of list) {
    if (element !== winner && isPlainObject(element) && element.primary === true) delete element.primary
  }
}

function assign (target: Doc, key: string, value: unknown): void {
  if (value === undefined) delete target[key]
  else target[key] = value
}

/**
 * `strict`: a filter matching nothing is noTarget (a real remove); false when a null value
 * for add/replace asked for the removal.
 */
export function removeAtPath (resource: ScimResourceSchema, doc: ScimResourceObject, path: AttributePath, value: unknown, strict = true): void {
  checkMutable(path)
  const def = path.attributeDefinition
  const container = containerOf(resource, doc, path.schema, false)
  if (path.filter !== undefined || (def.multiValued && path.subAttribute !== undefined)) {
    const list = listElements(container?.[def.name])
    const matched = new Set(selectedIndexes(path, list))
    if (matched.size === 0 && strict && path.filter !== undefined) {
      throw ScimError.noTarget(`No element of "${def.name}" matches the path filter.`)
    }
    const kept = path.subAttribute === undefined
      ? list.filter((_e, i) => !matched.has(i))
      : list.map((e, i) => matched.has(i) ? omit(e as Doc, path.subAttribute as string) : e).filter(e => Object.keys(e as Doc).length > 0)
    if (container !== undefined) assign(container, def.name, kept.length === 0 ? undefined : kept)
    return
  }
  if (container === undefined) return
  if (path.subAttribute !== undefined) {
    const current = container[def.name]
    if (isPlainObject(current)) {
      const rest = omit(current, path.subAttribute)
      assign(container, def.name, Object.keys(rest).length === 0 ? undefined : rest)
    }
    return
  }
  if (def.required) throw ScimError.invalidValue(`"${describePath(path)}" is required and cannot be removed.`)
  if (def.multiValued && value !== undefined && value !== null) {
    removeListedValues(container, def, value)
    return
  }
  delete container[def.name]
}

/** Entra's remove-with-value on a multi-valued attribute removes only the listed values. */
function removeListedValues (container: Doc, def: ScimAttributeDefinition, value: unknown): void {
  const listed = listElements(canonicaliseValue(def, value, { path: def.name }))
  const key = (v: unknown): unknown => {
    const raw = def.type === 'complex' ? getProperty(v, 'value') : v
    const valueDef = def.type === 'complex' ? def.subAttributes?.find(s => s.name === 'value') : def
    return typeof raw === 'string' && valueDef?.caseExact !== true ? raw.toLowerCase() : raw
  }
  const keys = new Set(listed.map(v => valueKey(key(v))))
  const kept = listElements(container[def.name]).filter(e => !keys.has(valueKey(key(e))))
  assign(container, def.name, kept.length === 0 ? undefined : kept)
}

function omit (object: Doc, key: string): Doc {
  const { [key]: _removed, ...rest } = object
  return rest
}
