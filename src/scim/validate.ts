/**
 * Validation and canonicalisation of resource bodies (POST, PUT) against the registry.
 *
 * Exported API:
 *   validateResource(resource, body, { mode: 'create' | 'replace' }): ScimResourceObject
 *     A fresh object in canonical shape: names in canonical case, `schemas` = core URN plus
 *     the extension URNs present, readOnly and unknown attributes dropped, userType defaulted.
 *   canonicaliseValue(attribute, value, { path?, element?, keepReadOnly? }): unknown
 *     For the PATCH engine: canonicalises one PATCH `value` against an attribute (or
 *     sub-attribute) definition. `undefined` means "no value" (null, or only readOnly parts).
 *     `element: true` treats `value` as ONE element of a multi-valued attribute (a PATCH whose
 *     path selects elements, e.g. `emails[type eq "work"]`). Multi-valued results are arrays
 *     (a single object becomes a one-element array). `path` only names the attribute in
 *     error details. `keepReadOnly` keeps readOnly sub-attributes (default: drop them).
 *   canonicaliseAttributes(attributes, object, { path?, keepReadOnly? }): Record<string, unknown>
 *     The same for an object holding several attributes of one schema (an extension object,
 *     or a complex value).
 *
 * Tolerance (CLIENTS.md): booleans as strings in any case ("True", "false"), a single object
 * for a multi-valued attribute (OneLogin), a bare scalar for a complex attribute with a
 * `value` sub-attribute (enterprise `manager: "271"`), `null` as absent, unknown attributes
 * and schema URIs ignored, readOnly attributes in input ignored (RFC 7643 §2.2: "any values
 * provided SHALL be ignored"). `mode` does not change the rules today: immutability against
 * the stored resource, and what an omitted attribute means on PUT, are the service's call.
 */
import { ScimError } from './errors.js'
import { isPlainObject } from './resource.js'
import type { ScimResourceObject } from './resource.js'
import { DEFAULT_MAX_MULTI_VALUED_VALUES, isCappedMultiValued, tooManyValues } from './limits.js'
import { DEFAULT_USER_TYPE, USER_SCHEMA, findAttribute, findAttributeByName, findExtension, topLevelAttributes } from './schema/registry.js'
import type { ScimResourceSchema } from './schema/registry.js'
import type { ScimAttributeDefinition } from './schema/types.js'

export interface ScimValidateOptions {
  readonly mode: 'create' | 'replace'
  /** Most values per multi-valued attribute (MAX_MULTI_VALUED_VALUES; see limits.ts). */
  readonly maxValues?: number
  /**
   * The stored resource a PUT or PATCH replaces: an attribute stored with more values than
   * the limit (before the limit existed, or before it was lowered) may keep them, and shrink,
   * but not grow. Otherwise such a resource could never be corrected.
   */
  readonly current?: ScimResourceObject
}

export interface ScimCanonicaliseOptions {
  readonly path?: string
  readonly element?: boolean
  readonly keepReadOnly?: boolean
}

// xsd:dateTime as RFC 7643 §2.3.5 requires, e.g. 2008-01-23T04:56:22Z or with an offset.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/

/**
 * A short description of a bad value for error details. Containers are named, not
 * serialized: a client's value may be nested thousands deep or megabytes long, and the
 * description must cost O(1) whatever it is.
 */
function describe (value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'object' && value !== null) return 'an object'
  const text = typeof value === 'string' ? JSON.stringify(value.length > 40 ? value.slice(0, 40) : value) : String(value)
  return text.length > 42 ? `${text.slice(0, 42)}…` : text
}

function invalid (path: string, expected: string, value: unknown): ScimError {
  return ScimError.invalidValue(`Attribute "${path}" must be ${expected}; got ${describe(value)}.`)
}

function canonicaliseBoolean (value: unknown, path: string): boolean {
  if (typeof value === 'boolean') return value
  // Entra and others send "True"/"False" (CLIENTS.md: Users).
  if (typeof value === 'string') {
    const lower = value.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
  }
  throw invalid(path, 'a boolean', value)
}

/**
 * Longest string value accepted, in UTF-8 bytes. Names are indexed (userName, displayName)
 * and a Postgres B-tree entry holds at most ~2700 bytes; one cap for every string keeps the
 * answer a clear 400 rather than a storage error. Advertised in the README.
 */
export const MAX_STRING_BYTES = 2048

/**
 * U+0000 and lone UTF-16 surrogates are valid JSON but not storable text (Postgres refuses
 * the first; the second has no UTF-8 form and would become U+FFFD): refused like any bad
 * value, never silently changed.
 */
function checkText (value: string, path: string): string {
  if (value.includes('\u0000')) throw ScimError.invalidValue(`Attribute "${path}" contains the character U+0000, which cannot be stored.`)
  if (!value.isWellFormed()) throw ScimError.invalidValue(`Attribute "${path}" contains a lone UTF-16 surrogate, which is not text and cannot be stored.`)
  if (value.length * 3 > MAX_STRING_BYTES && Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) {
    throw ScimError.invalidValue(`Attribute "${path}" is longer than ${MAX_STRING_BYTES} bytes.`)
  }
  return value
}

function canonicaliseScalar (attribute: ScimAttributeDefinition, value: unknown, path: string): unknown {
  switch (attribute.type) {
    case 'boolean':
      return canonicaliseBoolean(value, path)
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value
      throw invalid(path, 'an integer', value)
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value
      throw invalid(path, 'a number', value)
    case 'dateTime':
      if (typeof value === 'string' && DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))) return value
      throw invalid(path, 'an ISO 8601 dateTime', value)
    case 'binary':
      if (typeof value === 'string' && BASE64.test(value)) return value
      throw invalid(path, 'base64-encoded binary', value)
    default:
      // string and reference. A JSON number for a string (employeeNumber: 1234) is an easy
      // client slip with one obvious meaning, so it is accepted as its decimal text (inferred).
      if (typeof value === 'string') return checkText(value, path)
      if (typeof value === 'number' && Number.isFinite(value) && attribute.type === 'string') return String(value)
      throw invalid(path, attribute.type === 'reference' ? 'a reference (string)' : 'a string', value)
  }
}

function canonicaliseComplex (attribute: ScimAttributeDefinition, value: unknown, path: string, keepReadOnly: boolean): Record<string, unknown> | undefined {
  const subAttributes = attribute.subAttributes ?? []
  if (!isPlainObject(value)) {
    // A bare scalar for a complex attribute with `value` (manager: "271") means { value }.
    const valueSub = subAttributes.find(s => s.name === 'value')
    if (valueSub !== undefined && (typeof value === 'string' || typeof value === 'number')) {
      if (value === '') return undefined
      return { value: canonicaliseScalar(valueSub, value, `${path}.value`) }
    }
    throw invalid(path, 'an object', value)
  }
  const out = canonicaliseAttributes(subAttributes, value, { path, keepReadOnly })
  return Object.keys(out).length === 0 ? undefined : out
}

function canonicaliseSingle (attribute: ScimAttributeDefinition, value: unknown, path: string, keepReadOnly: boolean): unknown {
  if (value === null || value === undefined) return undefined
  return attribute.type === 'complex'
    ? canonicaliseComplex(attribute, value, path, keepReadOnly)
    : canonicaliseScalar(attribute, value, path)
}

function canonicaliseMulti (attribute: ScimAttributeDefinition, value: unknown, path: string, keepReadOnly: boolean): unknown[] {
  // OneLogin sends `emails` as one object: it is a one-element list.
  const items = Array.isArray(value) ? value : [value]
  const out: unknown[] = []
  items.forEach((item, i) => {
    const canonical = canonicaliseSingle(attribute, item, `${path}[${i}]`, keepReadOnly)
    if (canonical !== undefined) out.push(canonical)
  })
  checkSinglePrimary(out, path)
  return out
}

/** RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once. */
function checkSinglePrimary (items: unknown[], path: string): void {
  const primaries = items.filter(item => isPlainObject(item) && item.primary === true).length
  if (primaries > 1) {
    throw ScimError.invalidValue(`Attribute "${path}" has ${primaries} values marked primary; at most one may be.`)
  }
}

export function canonicaliseValue (attribute: ScimAttributeDefinition, value: unknown, options: ScimCanonicaliseOptions = {}): unknown {
  const path = options.path ?? attribute.name
  const keepReadOnly = options.keepReadOnly ?? false
  if (value === null || value === undefined) return undefined
  if (attribute.multiValued && options.element !== true) {
    return canonicaliseMulti(attribute, value, path, keepReadOnly)
  }
  return canonicaliseSingle(attribute, value, path, keepReadOnly)
}

function isIgnoredOnInput (attribute: ScimAttributeDefinition, keepReadOnly: boolean): boolean {
  return attribute.mutability === 'readOnly' && !keepReadOnly
}

export function canonicaliseAttributes (
  attributes: readonly ScimAttributeDefinition[],
  object: Record<string, unknown>,
  options: { path?: string, keepReadOnly?: boolean } = {}
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const keepReadOnly = options.keepReadOnly ?? false
  for (const [key, value] of Object.entries(object)) {
    const attribute = findAttributeByName(attributes, key)
    if (attribute === undefined || isIgnoredOnInput(attribute, keepReadOnly)) continue
    const path = options.path === undefined ? attribute.name : `${options.path}.${attribute.name}`
    const canonical = canonicaliseValue(attribute, value, { path, keepReadOnly })
    if (canonical !== undefined) out[attribute.name] = canonical
  }
  return out
}

function canonicaliseExtension (resource: ScimResourceSchema, key: string, value: unknown): [string, Record<string, unknown>] | undefined {
  const extension = findExtension(resource, key)
  if (extension === undefined || value === null || value === undefined) return undefined
  if (!isPlainObject(value)) throw invalid(extension.id, 'an object', value)
  return [extension.id, canonicaliseAttributes(extension.attributes, value, { path: extension.id })]
}

/** RFC 7644 §3.12: a missing required attribute is invalidValue. Empty strings count as missing. */
function checkRequired (attributes: readonly ScimAttributeDefinition[], object: Record<string, unknown>, prefix: string): void {
  for (const attribute of attributes) {
    if (!attribute.required || attribute.mutability === 'readOnly') continue
    const value = object[attribute.name]
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
      throw ScimError.invalidValue(`Attribute "${prefix}${attribute.name}" is required.`)
    }
  }
}

/** Refuses a multi-valued attribute with more values than allowed (see ScimValidateOptions.current). */
function checkValueCounts (resource: ScimResourceSchema, out: ScimResourceObject, options: ScimValidateOptions): void {
  const max = options.maxValues ?? DEFAULT_MAX_MULTI_VALUED_VALUES
  const check = (attributes: readonly ScimAttributeDefinition[], object: unknown, before: unknown, prefix: string): void => {
    if (!isPlainObject(object)) return
    for (const attribute of attributes) {
      const values = object[attribute.name]
      if (!Array.isArray(values) || values.length <= max || !isCappedMultiValued(resource.core.id, attribute)) continue
      const stored = isPlainObject(before) ? before[attribute.name] : undefined
      if (Array.isArray(stored) && values.length <= stored.length) continue
      throw tooManyValues(`${prefix}${attribute.name}`, values.length, max)
    }
  }
  check(resource.core.attributes, out, options.current, '')
  for (const extension of resource.extensions) check(extension.attributes, out[extension.id], options.current?.[extension.id], `${extension.id}:`)
}

export function validateResource (resource: ScimResourceSchema, body: unknown, options: ScimValidateOptions): ScimResourceObject {
  void options.mode // see the file comment: both modes follow the same rules
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('The request body must be a JSON object.')
  const core: Record<string, unknown> = {}
  const extensions = new Map<string, Record<string, unknown>>()
  for (const [key, value] of Object.entries(body)) {
    // `schemas` is rebuilt from what is present, so unknown or legacy URIs do no harm.
    if (key.toLowerCase() === 'schemas') continue
    const extension = canonicaliseExtension(resource, key, value)
    if (extension !== undefined) {
      extensions.set(extension[0], { ...extensions.get(extension[0]), ...extension[1] })
      continue
    }
    const found = findAttribute(resource, undefined, key)
    if (found === undefined || isIgnoredOnInput(found.attribute, false)) continue
    const canonical = canonicaliseValue(found.attribute, value, { path: found.attribute.name })
    if (canonical !== undefined) core[found.attribute.name] = canonical
  }
  checkRequired(resource.core.attributes, core, '')
  if (resource.core.id === USER_SCHEMA && (core.userType === undefined || core.userType === '')) {
    core.userType = DEFAULT_USER_TYPE
  }
  const out: ScimResourceObject = { schemas: [resource.core.id] }
  for (const attribute of topLevelAttributes(resource)) {
    if (core[attribute.name] !== undefined) out[attribute.name] = core[attribute.name]
  }
  for (const extension of resource.extensions) {
    const value = extensions.get(extension.id)
    if (value === undefined || Object.keys(value).length === 0) continue
    checkRequired(extension.attributes, value, `${extension.id}:`)
    ;(out.schemas as string[]).push(extension.id)
    out[extension.id] = value
  }
  checkValueCounts(resource, out, options)
  return out
}
