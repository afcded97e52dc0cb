/**
 * ETags (RFC 7644 §3.14): weak, derived from the resource's integer version, which changes
 * on every write. `meta.version` carries the same string.
 */
import { ScimError } from '../scim/errors.js'

export function etagOf (version: number): string {
  return `W/"${version}"`
}

/**
 * The version an `If-Match` header requires, `undefined` for no header or `*` (any).
 * An ETag that is not one of ours cannot match any version: 412, not 400.
 */
export function parseIfMatch (header: string | undefined): number | undefined | 'never' {
  if (header === undefined) return undefined
  const tags = header.split(',').map(tag => tag.trim()).filter(tag => tag !== '')
  if (tags.length === 0 || tags.includes('*')) return undefined
  if (tags.length > 1) throw ScimError.badRequest('If-Match with several ETags is not supported; send the one from the last response.')
  const match = /^(?:W\/)?"(\d{1,10})"$/.exec(tags[0] as string)
  return match ? Number(match[1]) : 'never'
}

/** True when `If-None-Match` lists the current ETag (or `*`): answer 304. */
export function matchesIfNoneMatch (header: string | undefined, version: number): boolean {
  if (header === undefined) return false
  const current = etagOf(version)
  return header.split(',').map(tag => tag.trim()).some(tag => tag === '*' || tag === current || `W/${tag}` === current)
}
