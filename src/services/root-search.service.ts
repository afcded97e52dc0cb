/**
 * Root-level queries: `GET /?filter=…` and `POST /.search` over Users and Groups in one
 * ListResponse (RFC 7644 §3.4.2.1, §3.4.3). Decisions:
 * - Filters, sortBy and projection across types: src/scim/root-query.ts (an attribute a type
 *   lacks has no value there; one no type has is 400).
 * - Order and SQL: src/repositories/root.repository.ts (sort key, then id, then type; the
 *   default sort key is created_at, as on /Users and /Groups).
 * - Paging: startIndex/count, or RFC 9865 cursors (keyset pages in the default order, offset
 *   pages when sorted), exactly as the typed endpoints; cursors are bound to the root query.
 * - One repeatable-read snapshot (read-snapshot.ts) for the count, the page, its rows and
 *   the groups' members and users' groups, so totalResults agrees with the pages and a
 *   resource deleted meanwhile cannot leave a hole.
 * - Each resource is built as its own endpoint builds it: users with their groups (only when
 *   shown), groups with their members (none read with `excludedAttributes=members`), both
 *   complete and streamed page by page (toStreamedScimUser, toStreamedScimGroup);
 *   MAX_INLINE_MEMBERS counts members and groups of the whole response together, before
 *   anything is sent.
 */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import {
  countRootResources, findGroupsByIds, findUsersByIds, listRootByKeyset, listRootPage,
  type RootBranch, type RootKey, type RootPageQuery, type RootResourceType, type RootSort
} from '../repositories/root.repository.js'
import { memberShapeOf, toScimGroupResponse, type GroupMemberRecord, type GroupRecord, type ScimMemberShape } from '../repositories/group.mapper.js'
import { countMembersUpTo, listFirstMembersOfGroups } from '../repositories/membership.repository.js'
import { countUserMembershipsUpTo, listFirstGroupsOfUsers } from '../repositories/user.repository.js'
import type { UserGroupJson, UserRecord } from '../repositories/user.mapper.js'
import { pageListByCursor } from '../scim/cursor.js'
import { StreamedArray } from '../scim/json-stream.js'
import { buildListResponse, type ScimListParamsInput, type ScimListResponse, type ScimListResponseOptions } from '../scim/list-params.js'
import { projectResource, wantsAttribute, type ScimProjectionParams } from '../scim/projection.js'
import { prepareRootListQuery, type ScimRootListQuery } from '../scim/root-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../scim/schema/registry.js'
import { LIST_FIRST_MEMBERS, toStreamedScimGroup, type GroupService } from './group.service.js'
import { SnapshotReleasedError, withReadSnapshot, type ReadSnapshot } from './read-snapshot.js'
import { inlineCeilingExceeded, NOTHING_TO_RELEASE, type ScimDocument } from './scim-document.js'
import { toScimUser, toStreamedScimUser } from './user-groups.stream.js'

/** Who is asking and how to spell URLs back to them. */
export interface RootSearchScope {
  readonly organizationId: string
  /** Absolute SCIM base URL (…/scim/v2). */
  readonly baseUrl: string
}

/** The resource types a root query covers, in the order their schemas are resolved. */
const ROOT_RESOURCES = [USER_RESOURCE, GROUP_RESOURCE] as const

/** What binds root cursors (src/scim/cursor.ts): never the same as /Users' or /Groups'. */
const ROOT_CURSOR_TYPE = 'Root'

export class RootSearchService {
  constructor (protected readonly db: Db, protected readonly config: Config, protected readonly groups: GroupService) {}

  async list (scope: RootSearchScope, input: ScimListParamsInput): Promise<ScimDocument<ScimListResponse<unknown>>> {
    const query = prepareRootListQuery(ROOT_RESOURCES, input, { defaultCount: this.config.defaultPageSize, maxCount: this.config.maxPageSize })
    const { params } = query
    const branches = branchesOf(query)
    const page = (offset: number, limit: number): RootPageQuery => ({
      branches, baseUrl: scope.baseUrl, sort: sortOf(query), descending: params.sortOrder === 'descending', offset, limit
    })
    return await withReadSnapshot(this.db, async snapshot => {
      const trx = snapshot.trx
      const totalResults = await countRootResources(trx, scope.organizationId, branches, scope.baseUrl)
      const read = async (offset: number, limit: number): Promise<RootKey[]> =>
        offset >= totalResults || limit === 0 ? [] : await listRootPage(trx, scope.organizationId, page(offset, limit))
      if (params.cursor === undefined) {
        const keys = await read(params.startIndex - 1, params.count)
        return await this.build(snapshot, scope, keys, query.projection, { totalResults, startIndex: params.startIndex, itemsPerPage: keys.length })
      }
      const cursor = await pageListByCursor<RootKey>({
        params, sortBy: query.sortBy, resourceType: ROOT_CURSOR_TYPE, organizationId: scope.organizationId,
        fetchKeyset: async fetch => ({ totalResults, rows: await listRootByKeyset(trx, scope.organizationId, branches, scope.baseUrl, fetch) }),
        fetchOffset: async (offset, limit) => ({ totalResults, rows: await read(offset, limit) })
      })
      return await this.build(snapshot, scope, cursor.records, query.projection, {
        totalResults, itemsPerPage: cursor.records.length, nextCursor: cursor.nextCursor, previousCursor: cursor.previousCursor
      })
    })
  }

  /**
   * The page's resources in key order, each built as its own endpoint builds it. Without
   * members or groups to show, the snapshot ends here and the body is complete; otherwise
   * they are streamed from it, ROOT_KEYS_PER_QUERY resources at a time.
   */
  private async build (
    snapshot: ReadSnapshot, scope: RootSearchScope, keys: readonly RootKey[], projection: ScimProjectionParams, options: ScimListResponseOptions
  ): Promise<ScimDocument<ScimListResponse<unknown>>> {
    const trx = snapshot.trx
    const idsOf = (type: RootResourceType) => keys.filter(key => key.type === type).map(key => key.id)
    const users = await findUsersByIds(trx, scope.organizationId, idsOf('User'))
    const groups = await findGroupsByIds(trx, scope.organizationId, idsOf('Group'))
    const found = keys.flatMap((key): RootFound[] => {
      const user = key.type === 'User' ? users.get(key.id) : undefined
      const group = key.type === 'Group' ? groups.get(key.id) : undefined
      return user !== undefined ? [{ user: user.record }] : group !== undefined ? [{ group }] : []
    })
    // itemsPerPage counts what is listed: a key whose row is gone is not (one snapshot: none is).
    const envelope = buildListResponse([], { ...options, itemsPerPage: found.length })
    const withGroups = wantsAttribute(USER_RESOURCE, projection, 'groups')
    const shape = memberShapeOf(projection)
    if (!withGroups && shape === undefined) {
      await snapshot.release()
      const resources = found.map(item => item.user !== undefined
        ? projectResource(USER_RESOURCE, toScimUser(item.user, [], scope.baseUrl), projection)
        : toScimGroupResponse(item.group, scope.baseUrl, projection, undefined))
      return { body: { ...envelope, Resources: resources }, release: NOTHING_TO_RELEASE }
    }
    await this.checkCeiling(trx, scope, withGroups ? idsOf('User') : [], shape !== undefined ? idsOf('Group') : [])
    const pages = rootPages(snapshot, scope, found, projection, withGroups, shape)
    return { body: { ...envelope, Resources: new StreamedArray(pages, true) as unknown as unknown[] }, release: snapshot.release }
  }

  /** MAX_INLINE_MEMBERS over the members and groups of the whole response. */
  private async checkCeiling (trx: Db, scope: RootSearchScope, userIds: readonly string[], groupIds: readonly string[]): Promise<void> {
    const ceiling = this.config.maxInlineMembers
    if (ceiling === 0) return
    const listed = await countUserMembershipsUpTo(trx, scope.organizationId, userIds, ceiling + 1) + await countMembersUpTo(trx, groupIds, ceiling + 1)
    if (listed > ceiling) {
      throw inlineCeilingExceeded(ceiling, 'members', 'Query with excludedAttributes=members,groups, and test memberships with ' +
        'filter=members[value eq "<user id>"] on /Groups.')
    }
  }
}

type RootFound = { readonly user: UserRecord, readonly group?: undefined } | { readonly user?: undefined, readonly group: GroupRecord }

/** Resources read per chunk: their first members or groups in one statement per type. */
const ROOT_KEYS_PER_QUERY = 10
const ROOT_FIRST_GROUPS = 99

async function * rootPages (
  snapshot: ReadSnapshot, scope: RootSearchScope, found: readonly RootFound[], projection: ScimProjectionParams,
  withGroups: boolean, shape: ScimMemberShape | undefined
): AsyncGenerator<unknown[], void, undefined> {
  for (let i = 0; i < found.length; i += ROOT_KEYS_PER_QUERY) {
    const chunk = found.slice(i, i + ROOT_KEYS_PER_QUERY)
    if (snapshot.released) throw new SnapshotReleasedError()
    const userIds = chunk.flatMap(item => item.user !== undefined ? [item.user.id] : [])
    const groupIds = chunk.flatMap(item => item.group !== undefined ? [item.group.id] : [])
    const firstGroups: Map<string, UserGroupJson[]> = withGroups ? await listFirstGroupsOfUsers(snapshot.trx, scope.organizationId, userIds, ROOT_FIRST_GROUPS + 1) : new Map()
    const firstMembers: Map<string, GroupMemberRecord[]> = shape !== undefined ? await listFirstMembersOfGroups(snapshot.trx, groupIds, LIST_FIRST_MEMBERS) : new Map()
    yield chunk.map(item => {
      if (item.user !== undefined) {
        const user = item.user
        if (!withGroups) return projectResource(USER_RESOURCE, toScimUser(user, [], scope.baseUrl), projection)
        const groups = (firstGroups.get(user.id) ?? []).map(group => ({ userId: user.id, groupId: group.value, displayName: group.display }))
        return toStreamedScimUser(snapshot, scope.organizationId, user, groups, ROOT_FIRST_GROUPS, scope.baseUrl, projection)
      }
      if (shape === undefined) return toScimGroupResponse(item.group, scope.baseUrl, projection, undefined)
      return toStreamedScimGroup(snapshot, item.group, scope.baseUrl, projection, shape, firstMembers.get(item.group.id) ?? [])
    })
  }
}

function branchesOf (query: ScimRootListQuery): RootBranch[] {
  return query.types.map(type => ({ type: typeOf(type.resource), filter: type.filter }))
}

/** Per-type sortBy paths of the types the query still covers; undefined for the default order. */
function sortOf (query: ScimRootListQuery): RootSort | undefined {
  if (query.sortBy === undefined) return undefined
  const paths: Partial<Record<RootResourceType, string>> = {}
  for (const type of query.types) if (type.sortBy !== undefined) paths[typeOf(type.resource)] = type.sortBy
  // When every covered type lacks the attribute, all keys are NULL: the order is id, type.
  return { paths }
}

function typeOf (resource: typeof ROOT_RESOURCES[number]): RootResourceType {
  return resource === USER_RESOURCE ? 'User' : 'Group'
}
