/**
 * The PATCH engine, RFC 7644 §3.5.2: applies PatchOp operations in order, all or nothing (on a
 * deep copy), to a resource document, and turns Group `members` operations into membership
 * changes instead of applying them (see `members.ts`). The HTTP layer has checked the
 * envelope (`schemas`, an `Operations` array of objects); each operation is validated here.
 *
 * Client forms handled (CLIENTS.md): case-insensitive `op`; path-less values whose keys are
 * attribute paths (`"name.givenName"`, `"urn:…:enterprise:2.0:User:employeeNumber"`) or an
 * extension URN holding an object, never stored as literal keys; booleans as strings; Okta's
 * own `id` inside a path-less replace (ignored when it is the resource's id); an empty
 * `Operations` list. Unknown attributes in a path-less value are ignored, as POST and PUT
 * ignore them (validate.ts); an unknown `path` is 400 invalidPath.
 *
 * Why not `scim-patch` (0.8.3, tried on our cases in a scratch project): it stores
 * `"active": "False"` as a string and a bare-string `manager` as is (it knows no schema), lets
 * a path-less replace write `id` and a path write the readOnly `meta`, keeps two
 * `primary: true` emails, silently accepts a remove filter that matches nothing (RFC 7644
 * §3.5.2.2: noTarget), and, by design, applies member operations to an in-memory member list,
 * which this service never loads. Its dotted/URN path-less keys, Entra's `emails[…].value`
 * creation and remove-with-value did work.
 */
import { ScimError } from '../errors.js'
import { parsePath } from '../path.js'
import type { ScimPatchPath } from '../path.js'
import { isPlainObject } from '../resource.js'
import type { ScimResourceObject } from '../resource.js'
import { GROUP_SCHEMA, findExtension } from '../schema/registry.js'
import type { ScimResourceSchema } from '../schema/registry.js'
import { toMemberChange } from './members.js'
import type { ScimMemberChange, ScimPatchOpName } from './members.js'
import { removeAtPath, setAtPath } from './operations.js'

export type { ScimMemberChange } from './members.js'

export interface ScimPatchOptions {
  /** The id of the resource being patched: an equal `id` in a path-less value is ignored (Okta). */
  readonly resourceId: string
}

export interface ScimPatchResult {
  /** The new resource document (a fresh object; `current` is untouched). */
  readonly resource: ScimResourceObject
  /** Group membership changes, in operation order, for the service to apply. */
  readonly members: ScimMemberChange[]
}

interface PatchContext {
  readonly resource: ScimResourceSchema
  readonly doc: ScimResourceObject
  readonly members: ScimMemberChange[]
  readonly options: ScimPatchOptions
}

export function applyPatch (
  resource: ScimResourceSchema,
  current: ScimResourceObject,
  operations: unknown[],
  options: ScimPatchOptions
): ScimPatchResult {
  if (!Array.isArray(operations)) throw ScimError.invalidSyntax('"Operations" must be an array.')
  const context: PatchContext = { resource, doc: structuredClone(current), members: [], options }
  operations.forEach((operation, index) => { atOperation(index, () => { applyOperation(context, operation) }) })
  syncSchemas(resource, context.doc)
  return { resource: context.doc, members: context.members }
}

/**
 * The membership changes of a Group PATCH whose every operation adds or removes at a path
 * naming `members` (Entra's and Okta's member pushes): such a PATCH changes nothing else, so
 * the service can apply it without reading the group. Undefined for any other PATCH (which
 * then goes through `applyPatch` on the current resource, errors included). Each path is
 * parsed once; the changes and errors are those `applyPatch` gives for the same operations.
 */
export function memberOnlyChanges (resource: ScimResourceSchema, operations: unknown[]): ScimMemberChange[] | undefined {
  if (resource.core.id !== GROUP_SCHEMA || !Array.isArray(operations) || operations.length === 0) return undefined
  const parsed: Array<{ op: 'add' | 'remove', path: ScimPatchPath, value: unknown }> = []
  for (const operation of operations) {
    if (!isPlainObject(operation) || typeof operation.path !== 'string' || typeof operation.op !== 'string') return undefined
    const op = operation.op.toLowerCase()
    if (op !== 'add' && op !== 'remove') return undefined
    let path: ScimPatchPath
    try {
      path = parsePath(resource, operation.path)
    } catch {
      return undefined
    }
    if (!isMembersPath(resource, path)) return undefined
    parsed.push({ op, path, value: operation.value })
  }
  const changes: ScimMemberChange[] = []
  parsed.forEach(({ op, path, value }, index) => {
    atOperation(index, () => {
      requireValue(op, value)
      const change = toMemberChange(op, path, value)
      if (change !== undefined) changes.push(change)
    })
  })
  return changes
}

/** Runs one operation's step, naming the operation in its error: a PATCH may carry dozens (Okta batches member pushes). */
function atOperation (index: number, step: () => void): void {
  try {
    step()
  } catch (error) {
    if (error instanceof ScimError) throw new ScimError(error.status, `Operations[${index}]: ${error.detail}`, error.scimType)
    throw error
  }
}

/** An add or replace needs a value; a remove may go without (on `members`: remove them all). */
function requireValue (op: ScimPatchOpName, value: unknown): void {
  if (op !== 'remove' && value === undefined) throw ScimError.invalidValue(`"${op}" needs a "value".`)
}

function applyOperation (context: PatchContext, operation: unknown): void {
  if (!isPlainObject(operation)) throw ScimError.invalidSyntax('Each operation must be an object.')
  const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined
  if (op !== 'add' && op !== 'remove' && op !== 'replace') {
    throw ScimError.invalidSyntax('"op" must be "add", "remove" or "replace".')
  }
  const rawPath = operation.path
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') throw ScimError.invalidPath('"path" must be a string.')
  const value = operation.value
  requireValue(op, value)
  if (rawPath === undefined || rawPath === null || rawPath.trim() === '') {
    // RFC 7644 §3.5.2.2: remove without path is noTarget.
    if (op === 'remove') throw ScimError.noTarget('"remove" needs a "path".')
    applyPathless(context, op, value)
    return
  }
  applyAtPath(context, op, parsePath(context.resource, rawPath), value)
}

function applyAtPath (context: PatchContext, op: ScimPatchOpName, path: ScimPatchPath, value: unknown): void {
  const { resource, doc } = context
  if (isMembersPath(resource, path)) {
    const change = toMemberChange(op, path, value)
    if (change !== undefined) context.members.push(change)
    return
  }
  if (path.attribute === undefined || path.attributeDefinition === undefined) {
    applyExtension(context, op, path.schema, value)
    return
  }
  const target = path as ScimPatchPath & { attribute: string, attributeDefinition: NonNullable<ScimPatchPath['attributeDefinition']> }
  if (op === 'remove') removeAtPath(resource, doc, target, value)
  else setAtPath(resource, doc, target, op, value)
}

/** A bare extension URN: remove drops the extension; add/replace apply each attribute given. */
function applyExtension (context: PatchContext, op: ScimPatchOpName, schema: string, value: unknown): void {
  if (op === 'remove' || value === null) {
    delete context.doc[schema]
    return
  }
  if (!isPlainObject(value)) throw ScimError.invalidValue(`The value for "${schema}" must be an object of its attributes.`)
  for (const [key, item] of Object.entries(value)) applyKey(context, op, `${schema}:${key}`, item)
}

/** RFC 7644 §3.5.2.1/§3.5.2.3 without path: the value holds attributes of the resource. */
function applyPathless (context: PatchContext, op: 'add' | 'replace', value: unknown): void {
  if (!isPlainObject(value)) throw ScimError.invalidValue(`"${op}" without "path" needs an object "value" of attributes.`)
  for (const [key, item] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue
    const extension = findExtension(context.resource, key)
    if (extension !== undefined) applyExtension(context, op, extension.id, item)
    else if (key.toLowerCase() === context.resource.core.id.toLowerCase() && isPlainObject(item)) {
      // Some clients nest core attributes under the core URN, like an extension (inferred).
      for (const [name, inner] of Object.entries(item)) applyKey(context, op, `${context.resource.core.id}:${name}`, inner)
    } else applyKey(context, op, key, item)
  }
}

function applyKey (context: PatchContext, op: 'add' | 'replace', key: string, value: unknown): void {
  let path: ScimPatchPath
  try {
    path = parsePath(context.resource, key)
  } catch (error) {
    if (error instanceof ScimError && error.scimType === 'invalidPath') return
    throw error
  }
  // Okta sends the resource's own id in every path-less replace (CLIENTS.md "Groups").
  if (path.attribute === 'id' && path.schema === context.resource.core.id && value === context.options.resourceId) return
  applyAtPath(context, op, path, value)
}

function isMembersPath (resource: ScimResourceSchema, path: ScimPatchPath): boolean {
  return resource.core.id === GROUP_SCHEMA && path.schema === GROUP_SCHEMA && path.attribute === 'members'
}

/** `schemas` lists the core URN and exactly the extensions that hold data (RFC 7643 §3). */
function syncSchemas (resource: ScimResourceSchema, doc: ScimResourceObject): void {
  const present = resource.extensions.filter(extension => {
    const value = doc[extension.id]
    if (isPlainObject(value) && Object.keys(value).length > 0) return true
    delete doc[extension.id]
    return false
  })
  doc.schemas = [resource.core.id, ...present.map(extension => extension.id)]
}
