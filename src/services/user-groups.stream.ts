/**
 * A user's `groups` in a response: complete, whatever the number of memberships. The first
 * groups come with the user's own statement (a bounded number, user.repository.ts
 * groupsOfUser); a user with more is streamed from a read snapshot in keyset pages of
 * GROUP_PAGE_SIZE, so a page of users in thousands of groups each costs about a page of
 * memory instead of one string of all of them (V8 refuses strings over ~512 MB: "Invalid
 * string length").
 */
import { listFirstGroupsOfUsers, listUserGroupsPage } from '../repositories/user.repository.js'
import type { UserGroupRecord, UserRecord } from '../repositories/user.mapper.js'
import { StreamedArray } from '../scim/json-stream.js'
import { projectResource, type ScimProjectionParams } from '../scim/projection.js'
import { assignAttributes, resourceMeta, type ScimResourceObject } from '../scim/resource.js'
import { USER_RESOURCE } from '../scim/schema/registry.js'
import { SnapshotReleasedError, type ReadSnapshot } from './read-snapshot.js'

/** Groups read per keyset statement when a user's groups are streamed. */
export const GROUP_PAGE_SIZE = 10_000

export function toScimUser (record: UserRecord, groups: readonly UserGroupRecord[], baseUrl: string): ScimResourceObject {
  const user = assignAttributes({}, record.attributes)
  user.id = record.id
  user.groups = groups.map(group => toScimUserGroup(group.groupId, group.displayName, baseUrl))
  user.meta = resourceMeta('User', record, baseUrl)
  return user
}

function toScimUserGroup (groupId: string, display: string, baseUrl: string): Record<string, unknown> {
  return { value: groupId, $ref: `${baseUrl}/Groups/${groupId}`, display, type: 'direct' }
}

/** Users whose first groups are read together when a page of users is streamed. */
const USERS_PER_QUERY = 100
/** Groups per user read with its chunk (one more tells whether it has more): at most 10 000 rows a statement. */
const CHUNK_FIRST_GROUPS = 99

/**
 * The projected user with `groups` streamed: `first` holds its first groups by id (more
 * than `firstLimit` of them means there are more to read after the `firstLimit`-th).
 * Projection is the same function as for a complete user, applied page by page to `groups`.
 */
export function toStreamedScimUser (
  snapshot: ReadSnapshot, organizationId: string, record: UserRecord, first: readonly UserGroupRecord[], firstLimit: number,
  baseUrl: string, projection: ScimProjectionParams
): ScimResourceObject {
  const { meta, ...rest } = projectResource(USER_RESOURCE, toScimUser(record, [], baseUrl), projection)
  const project = (entries: Array<Record<string, unknown>>): unknown[] => {
    const projected = projectResource(USER_RESOURCE, { id: record.id, groups: entries }, projection).groups
    return Array.isArray(projected) ? projected : []
  }
  async function * pages (): AsyncGenerator<unknown[], void, undefined> {
    const shown = first.slice(0, firstLimit)
    yield project(shown.map(group => toScimUserGroup(group.groupId, group.displayName, baseUrl)))
    if (first.length <= firstLimit) return
    let after = shown[shown.length - 1]?.groupId as string
    for (;;) {
      if (snapshot.released) throw new SnapshotReleasedError()
      const page = await listUserGroupsPage(snapshot.trx, organizationId, record.id, after, GROUP_PAGE_SIZE)
      yield project(page.map(group => toScimUserGroup(group.value, group.display, baseUrl)))
      if (page.length < GROUP_PAGE_SIZE) return
      after = page[page.length - 1]?.value as string
    }
  }
  return { ...rest, groups: new StreamedArray(pages()), ...(meta !== undefined ? { meta } : {}) }
}

/**
 * A page of users (read without their groups), USERS_PER_QUERY at a time: their first groups
 * in one statement per chunk, then each user's own keyset pages when it has more. Memory is
 * the page's user rows plus one chunk or one page of groups.
 */
export async function * streamedUserPages (
  snapshot: ReadSnapshot, organizationId: string, records: readonly UserRecord[], baseUrl: string, projection: ScimProjectionParams
): AsyncGenerator<unknown[], void, undefined> {
  for (let i = 0; i < records.length; i += USERS_PER_QUERY) {
    const chunk = records.slice(i, i + USERS_PER_QUERY)
    if (snapshot.released) throw new SnapshotReleasedError()
    const first = await listFirstGroupsOfUsers(snapshot.trx, organizationId, chunk.map(record => record.id), CHUNK_FIRST_GROUPS + 1)
    yield chunk.map(record => {
      const groups = (first.get(record.id) ?? []).map(group => ({ userId: record.id, groupId: group.value, displayName: group.display }))
      return toStreamedScimUser(snapshot, organizationId, record, groups, CHUNK_FIRST_GROUPS, baseUrl, projection)
    })
  }
}
