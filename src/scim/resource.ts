/**
 * A SCIM resource in memory: a plain JSON object in canonical SCIM shape and attribute case,
 * e.g. `{ schemas, id, userName, name: {…}, emails: […], '<enterprise URN>': {…}, meta: {…} }`.
 */
export type ScimResourceObject = Record<string, unknown>

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Copies `source`'s own attributes onto `target` key by key and returns `target`. Responses
 * build resources this way rather than with `{ ...source, … }`: a spread followed by more
 * keys gave objects that the projection and JSON.stringify then walked about three times
 * slower (a user built and projected: 10.7 µs with a spread, 3.4 µs so, in a loop over 100
 * stored users). `__proto__` is skipped: assigning it would set the prototype, and it is no
 * attribute of any schema.
 */
export function assignAttributes (target: ScimResourceObject, source: Readonly<ScimResourceObject>): ScimResourceObject {
  for (const key in source) {
    if (key !== '__proto__' && Object.hasOwn(source, key)) target[key] = source[key]
  }
  return target
}
