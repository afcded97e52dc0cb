import { ScimError } from '../errors.js'
import { isPlainObject } from '../resource.js'
import { DEFAULT_PATCH_MAX_OPERATIONS, tooManyOperations } from '../limits.js'
import { PATCH_OP_SCHEMA } from '../schema/registry.js'

/**
 * The operations of a PatchOp request body (RFC 7644 §3.5.2). The `Operations` key is
 * matched case-insensitively like attribute names; a `schemas` list that names other
 * schemas only is not a PatchOp. A body without `schemas` is tolerated. More operations
 * than `maxOperations` is 400 tooMany, before any is applied.
 */
export function readPatchOperations (body: unknown, maxOperations = DEFAULT_PATCH_MAX_OPERATIONS): unknown[] {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('The request body must be a PatchOp object.')
  const schemas = body.schemas
  if (Array.isArray(schemas) && !schemas.some(s => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())) {
    throw ScimError.invalidSyntax(`A PATCH body must have "schemas": ["${PATCH_OP_SCHEMA}"].`)
  }
  const operations = Object.entries(body).find(([key]) => key.toLowerCase() === 'operations')?.[1]
  if (!Array.isArray(operations)) throw ScimError.invalidSyntax('A PATCH body needs an "Operations" array.')
  if (operations.length > maxOperations) throw tooManyOperations(operations.length, maxOperations)
  return operations
}
