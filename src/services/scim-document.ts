/**
 * What a read returns to the HTTP layer: a response body that may hold StreamedArrays
 * (scim/json-stream.ts) read from a snapshot, and `release`, which ends that snapshot. The
 * HTTP layer calls `release` exactly when the response is done, failed or abandoned (also
 * when it answers 304 instead); for a body built completely in memory it is a no-op.
 */
import { ScimError } from '../scim/errors.js'

export interface ScimDocument<T = unknown> {
  readonly body: T
  readonly release: () => Promise<void>
}

export const NOTHING_TO_RELEASE = async (): Promise<void> => {}

/**
 * MAX_INLINE_MEMBERS: an operator's ceiling on how many members (of groups) or groups (of
 * users) one read response may list. Checked before anything is sent; above it the request
 * fails whole, never with a shorter list (a sync client trusting a cut list deletes real
 * memberships downstream).
 */
export function inlineCeilingExceeded (ceiling: number, what: 'members' | 'groups', advice: string): ScimError {
  return ScimError.tooMany(
    `This response would list more than ${ceiling} ${what} (MAX_INLINE_MEMBERS of this service), so nothing was returned. ${advice}`)
}
