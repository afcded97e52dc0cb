/**
 * A user's `groups` in a response: complete, whatever the number of memberships. The first
 * groups come with the user's own statement (a bounded number, user.repository.ts
 * groupsOfUser); a user with more is streamed from a read snapshot in keyset pages of
 * GROUP_PAGE_SIZE, so a page of users in thousands of groups each costs about a page of
 * memory instead of one string of all of them (V8 refuses strings over ~512 MB: "Invalid
 * string length").
 */
import { listUserGroupsPage } from '../repositories/user.repository.js'
import type { UserGroupRecord, UserRecord, UserWithGroups } from '../repositories/user.mapper.js'
import { StreamedArray } from '../scim/json-stream.js'
import { projectResource, type ScimProjectionParams } from '../scim/projection.js'
import type { ScimResourceObject } from '../scim/resource.js'
import { USER_RESOURCE } from '../scim/schema/registry.js'
import { SnapshotReleasedError, type ReadSnapshot } from './read-snapshot.js'

/** Groups read per keyset statement when a user's groups are streamed. */
export const GROUP_PAGE_SIZE = 10_000

export function toScimUser (record: UserRecord, groups: readonly UserGroupRecord[], baseUrl: string): ScimResourceObject {
  return {
    ...record.attributes,
    id: record.id,
    groups: groups.map(group => toScimUserGroup(group.groupId, group.displayName, baseUrl)),
    meta: {
      resourceType: 'User',
      created: record.createdAt.toISOString(),
      lastModified: record.lastModified.toISOString(),
      location: `${baseUrl}/Users/${record.id}`,
      version: `W/"${record.version}"`
    }
  }
}

function toScimUserGroup (groupId: string, display: string, baseUrl: string): Record<string, unknown> {
  return { value: groupId, $ref: `${baseUrl}/Groups/${groupId}`, display, type: 'direct' }
}

/**
 * The projected user with `groups` streamed: `found.groups` holds the first groups (more
 * than `firstLimit` of them means there are more to read after the `firstLimit`-th).
 * Projection is the same function as for a complete user, applied page by page to `groups`.
 */
export function toStreamedScimUser (
  snapshot: ReadSnapshot, organizationId: string, found: UserWithGroups, firstLimit: number, baseUrl: string, projection: ScimProjectionParams
): ScimResourceObject {
  const { meta, ...rest } = projectResource(USER_RESOURCE, toScimUser(found.record, [], baseUrl), projection)
  const project = (entries: Array<Record<string, unknown>>): unknown[] => {
    const projected = projectResource(USER_RESOURCE, { id: found.record.id, groups: entries }, projection).groups
    return Array.isArray(projected) ? projected : []
  }
  async function * pages (): AsyncGenerator<unknown[], void, undefined> {
    const first = found.groups.slice(0, firstLimit)
    yield project(first.map(group => toScimUserGroup(group.groupId, group.displayName, baseUrl)))
    if (found.groups.length <= firstLimit) return
    let after = first[first.length - 1]?.groupId as string
    for (;;) {
      if (snapshot.released) throw new SnapshotReleasedError()
      const page = await listUserGroupsPage(snapshot.trx, organizationId, found.record.id, after, GROUP_PAGE_SIZE)
      yield project(page.map(group => toScimUserGroup(group.value, group.display, baseUrl)))
      if (page.length < GROUP_PAGE_SIZE) return
      after = page[page.length - 1]?.value as string
    }
  }
  return { ...rest, groups: new StreamedArray(pages()), ...(meta !== undefined ? { meta } : {}) }
}
