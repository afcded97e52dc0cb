/**
 * Which top-level attributes differ between two canonical resources (as validation leaves
 * them: canonical attribute names, so names compare exactly). Pure; the change feed records
 * the result. `id`, `meta` and `schemas` are not attributes a client changes.
 */
import { isDeepStrictEqual } from 'node:util'

const NOT_CHANGEABLE = new Set(['id', 'meta', 'schemas'])

export function changedAttributes (before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): string[] {
  const names = new Set([...Object.keys(before), ...Object.keys(after)])
  const changed: string[] = []
  for (const name of names) {
    if (NOT_CHANGEABLE.has(name)) continue
    if (!isDeepStrictEqual(before[name] ?? null, after[name] ?? null)) changed.push(name)
  }
  return changed.sort()
}

/** The attributes a newly created resource holds. */
export function presentAttributes (resource: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(resource).filter(name => !NOT_CHANGEABLE.has(name) && resource[name] !== undefined && resource[name] !== null).sort()
}
