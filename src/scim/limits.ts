/**
 * Per-request work limits of the protocol core (RFC 7644 leaves them to the service). With
 * them, and the PATCH engine's keyed matching, every PATCH, PUT, POST and Bulk operation
 * costs O((input + stored) log) at worst, so one request cannot hold the event loop. The
 * defaults are configurable (MAX_MULTI_VALUED_VALUES, PATCH_MAX_OPERATIONS) and documented in
 * the README and the OpenAPI document.
 */
import { ScimError } from './errors.js'
import { GROUP_SCHEMA } from './schema/registry.js'
import type { ScimAttributeDefinition } from './schema/types.js'

/**
 * Most values of one multi-valued attribute of a stored resource (emails, phoneNumbers,
 * roles…). Provisioning clients send a handful; 100 leaves room and keeps the worst PATCH
 * (PATCH_MAX_OPERATIONS filtered operations, each scanning the list) to 10^5 element tests,
 * a few milliseconds (bench/results/hostile.md).
 */
export const DEFAULT_MAX_MULTI_VALUED_VALUES = 100

/** Most operations in one PATCH request (each Bulk operation is one request and obeys it too). */
export const DEFAULT_PATCH_MAX_OPERATIONS = 1000

/**
 * Group `members` lives in the membership table and is changed by set operations, never
 * stored in the resource document: it is bounded by the body size, not by this limit.
 */
export function isCappedMultiValued (resourceId: string, attribute: ScimAttributeDefinition): boolean {
  return attribute.multiValued && !(resourceId === GROUP_SCHEMA && attribute.name === 'members')
}

export function tooManyValues (path: string, count: number, max: number): ScimError {
  return ScimError.invalidValue(`Attribute "${path}" would have ${count} values; at most ${max} are allowed (MAX_MULTI_VALUED_VALUES).`)
}

export function tooManyOperations (count: number, max: number): ScimError {
  return ScimError.tooMany(`The PATCH request has ${count} operations; at most ${max} are allowed (PATCH_MAX_OPERATIONS).`)
}
