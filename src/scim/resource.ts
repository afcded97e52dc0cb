/**
 * A SCIM resource in memory: a plain JSON object in canonical SCIM shape and attribute case,
 * e.g. `{ schemas, id, userName, name: {…}, emails: […], '<enterprise URN>': {…}, meta: {…} }`.
 */
export type ScimResourceObject = Record<string, unknown>

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
