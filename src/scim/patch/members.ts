/**
 * Group membership changes out of PATCH operations (CLIENTS.md "Groups"). A group's member list
 * is never loaded to change it (100k+ members are normal), so every operation on `members` is
 * turned into a set operation for the service to run against the membership table, in order:
 *
 * | operation                                                   | change                  |
 * |-------------------------------------------------------------|-------------------------|
 * | add `members` / path-less add `{members: [...]}`            | `add ids`               |
 * | remove `members[value eq "a" or value eq "b"]`               | `remove [a, b]`         |
 * | remove `members` with value `[{value: "a"}]` (Entra default) | `remove [a]` (only them)|
 * | remove `members` without value                               | `removeAll`             |
 * | replace `members` / path-less replace `{members: [...]}`     | `replace ids` (`[]` empties) |
 *
 * Only `value` counts in a member; `$ref` (even null), `display` and `type` are ignored (Okta's
 * `display` is not reliable). A `members[…]` filter must be `value eq "<id>"` terms joined by
 * `or`: anything else (`display co "x"`, `and`, `not`) would need the member list, so it is
 * 400 invalidFilter. `members.value` and `members[…].sub` paths are 400 invalidPath.
 */
import { ScimError } from '../errors.js'
import type { ScimFilter } from '../filter/ast.js'
import type { ScimPatchPath } from '../path.js'
import { isPlainObject } from '../resource.js'

export type ScimMemberChange =
  | { readonly kind: 'add', readonly ids: readonly string[] }
  | { readonly kind: 'remove', readonly ids: readonly string[] }
  | { readonly kind: 'replace', readonly ids: readonly string[] }
  | { readonly kind: 'removeAll' }

export type ScimPatchOpName = 'add' | 'remove' | 'replace'

/**
 * The change for one operation on `members`; `path` is undefined for a path-less value's
 * `members` key. Returns undefined for a change that changes nothing (adding or removing `[]`).
 */
export function toMemberChange (op: ScimPatchOpName, path: ScimPatchPath | undefined, value: unknown): ScimMemberChange | undefined {
  if (path?.subAttribute !== undefined) {
    throw ScimError.invalidPath(`"members.${path.subAttribute}" cannot be changed; add or remove whole members ("members" or members[value eq "<id>"]).`)
  }
  if (path?.filter !== undefined) {
    if (op !== 'remove') throw ScimError.invalidPath(`"${op}" with a members[…] filter is not supported; use "add" or "replace" with path "members".`)
    return { kind: 'remove', ids: dedupe(idsFromFilter(path.filter)) }
  }
  if (op === 'remove') {
    if (value === undefined || value === null) return { kind: 'removeAll' }
    const ids = idsFromValue(value)
    return ids.length === 0 ? undefined : { kind: 'remove', ids }
  }
  if (op === 'replace') return { kind: 'replace', ids: value === null ? [] : idsFromValue(value) }
  const ids = idsFromValue(value)
  return ids.length === 0 ? undefined : { kind: 'add', ids }
}

function idsFromFilter (filter: ScimFilter): string[] {
  if (filter.kind === 'or') return [...idsFromFilter(filter.left), ...idsFromFilter(filter.right)]
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.attribute === 'value' && typeof filter.value === 'string') {
    return [filter.value]
  }
  throw ScimError.invalidFilter('A members[…] filter may only be value eq "<id>" terms joined by "or".')
}

function idsFromValue (value: unknown): string[] {
  // A single member object is accepted as a one-element list, as for other multi-valued attributes.
  const items = Array.isArray(value) ? value : [value]
  const ids = items.map((item, i) => {
    const id = isPlainObject(item) ? item.value : undefined
    if (typeof id !== 'string' || id === '') {
      throw ScimError.invalidValue(`members[${i}] needs a "value" holding the member id (a non-empty string).`)
    }
    return id
  })
  return dedupe(ids)
}

function dedupe (ids: string[]): string[] {
  return [...new Set(ids)]
}
