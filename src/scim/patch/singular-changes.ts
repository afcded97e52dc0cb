/**
 * PATCHes that set plain singular User attributes (Entra's `replace active`, a changed
 * `displayName` or `title`): their outcome does not depend on the stored document, so the
 * service can write it without reading the user first, in one statement.
 *
 * Only these attributes qualify: singular, not complex, readWrite, and no rule ties them to
 * other attributes or other rows (RFC 7643 §4.1.1; userName and externalId have uniqueness,
 * userType the membership rule, password its hash, so they go the general way). A PATCH
 * qualifies when every operation is an `add` or `replace` of such an attribute, by path (no
 * sub-attribute, no filter) or path-less with only such keys, with a value that is not null.
 *
 * The values come from the PATCH engine itself, applied to an empty document (for these
 * attributes `add` and `replace` set the value whatever was there, and the last operation
 * wins, as on the stored document), then from the same validation a full PATCH gets. A value
 * validation would refuse or drop is not handled here: undefined sends the request the general
 * way, which answers it as it always does.
 */
import { parsePath } from '../path.js'
import { isPlainObject } from '../resource.js'
import { resolveAttributeName, USER_SCHEMA, type ScimResourceSchema } from '../schema/registry.js'
import { validateResource } from '../validate.js'
import { applyPatch, type ScimPatchOptions } from './apply-patch.js'

const SINGULAR = new Set(['active', 'displayName', 'nickName', 'profileUrl', 'title', 'preferredLanguage', 'locale', 'timezone'])

/**
 * Answers kept by the operations' JSON text. An IdP sends the same few PATCHes again and again
 * (Entra's `replace active` with "True" or "False"), and running the PATCH engine and the
 * validation for them was about a tenth of the service's CPU on such a request. The answer is
 * a function of the text alone: a PATCH that qualifies names only attributes of the table
 * above, so neither `resourceId` (which matters only for an `id` key) nor the stored user
 * plays a part, and `maxValues` is part of the key. Kept per resource type (weakly), bounded:
 * at most MEMO_SIZE answers each (the oldest is dropped first), for texts of at most
 * MEMO_KEY_CHARS characters.
 */
const MEMO_SIZE = 256
const MEMO_KEY_CHARS = 1024
type Changes = Readonly<Record<string, unknown>> | undefined
const memos = new WeakMap<ScimResourceSchema, Map<string, Changes>>()

/** Canonical attribute name → canonical value (frozen: it may be shared), or undefined when the PATCH is not only that. */
export function singularUserChanges (
  resource: ScimResourceSchema, operations: unknown[], options: ScimPatchOptions & { maxValues: number }
): Changes {
  if (resource.core.id !== USER_SCHEMA || operations.length === 0) return undefined
  const text = JSON.stringify(operations)
  if (text.length > MEMO_KEY_CHARS) return computeChanges(resource, operations, options)
  let memo = memos.get(resource)
  if (memo === undefined) memos.set(resource, memo = new Map())
  const key = `${options.maxValues} ${text}`
  if (memo.has(key)) return memo.get(key)
  const changes = computeChanges(resource, operations, options)
  if (memo.size >= MEMO_SIZE) memo.delete(memo.keys().next().value as string)
  memo.set(key, changes)
  return changes
}

function computeChanges (resource: ScimResourceSchema, operations: unknown[], options: ScimPatchOptions & { maxValues: number }): Changes {
  const named = new Set<string>()
  for (const operation of operations) {
    if (!isPlainObject(operation) || typeof operation.op !== 'string') return undefined
    const op = operation.op.toLowerCase()
    if (op !== 'add' && op !== 'replace') return undefined
    const names = targets(resource, operation.path, operation.value)
    if (names === undefined) return undefined
    for (const name of names) named.add(name)
  }
  let patched: Record<string, unknown>
  let validated: Record<string, unknown>
  try {
    patched = applyPatch(resource, { schemas: [USER_SCHEMA] }, operations, options).resource
    // userName is required of a whole User; its value here is never used.
    validated = validateResource(resource, { ...pick(patched, named), userName: 'u' }, { mode: 'replace', maxValues: options.maxValues })
  } catch {
    return undefined
  }
  const changes = pick(validated, named)
  return Object.keys(changes).length === named.size ? Object.freeze(changes) : undefined
}

/** The attributes one operation sets, or undefined when it sets anything else. */
function targets (resource: ScimResourceSchema, path: unknown, value: unknown): string[] | undefined {
  if (path === undefined || path === null || (typeof path === 'string' && path.trim() === '')) {
    if (!isPlainObject(value) || Object.keys(value).length === 0) return undefined
    const names: string[] = []
    for (const [key, element] of Object.entries(value)) {
      const resolved = resolveAttributeName(resource, key)
      if (resolved === undefined || resolved.schema !== USER_SCHEMA || resolved.subAttribute !== undefined) return undefined
      if (!SINGULAR.has(resolved.attribute.name) || element === null || element === undefined) return undefined
      names.push(resolved.attribute.name)
    }
    return names
  }
  if (typeof path !== 'string' || value === null || value === undefined) return undefined
  try {
    const parsed = parsePath(resource, path)
    if (parsed.schema !== USER_SCHEMA || parsed.attribute === undefined || parsed.subAttribute !== undefined || parsed.filter !== undefined) return undefined
    return SINGULAR.has(parsed.attribute) ? [parsed.attribute] : undefined
  } catch {
    return undefined
  }
}

function pick (document: Record<string, unknown>, names: ReadonlySet<string>): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const name of names) if (document[name] !== undefined && document[name] !== null) picked[name] = document[name]
  return picked
}
