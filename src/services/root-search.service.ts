/**
 * Root-level queries: `GET /?filter=…` and `POST /.search` over Users and Groups in one
 * ListResponse (RFC 7644 §3.4.2.1, §3.4.3). Decisions:
 * - Filters, sortBy and projection across types: src/scim/root-query.ts (an attribute a type
 *   lacks has no value there; one no type has is 400).
 * - Order and SQL: src/repositories/root.repository.ts (sort key, then id, then type; the
 *   default sort key is created_at, as on /Users and /Groups).
 * - Paging: startIndex/count, or RFC 9865 cursors (keyset pages in the default order, offset
 *   pages when sorted), exactly as the typed endpoints; cursors are bound to the root query.
 * - One repeatable-read snapshot for the count, the page, its rows and the groups' members,
 *   so totalResults agrees with the pages and a resource deleted meanwhile cannot leave a hole.
 * - Each resource is built as its own endpoint builds it: users with their groups (only when
 *   shown), groups through GroupService.buildPage (no member read with
 *   `excludedAttributes=members`, one inline-member budget for the whole page).
 */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import {
  countRootResources, findGroupsByIds, findUsersByIds, listRootByKeyset, listRootPage,
  type RootBranch, type RootKey, type RootPageQuery, type RootResourceType, type RootSort
} from '../repositories/root.repository.js'
import { pageListByCursor } from '../scim/cursor.js'
import { buildListResponse, type ScimListParamsInput, type ScimListResponse } from '../scim/list-params.js'
import { projectResource, wantsAttribute, type ScimProjectionParams } from '../scim/projection.js'
import type { ScimResourceObject } from '../scim/resource.js'
import { prepareRootListQuery, type ScimRootListQuery } from '../scim/root-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../scim/schema/registry.js'
import type { GroupService } from './group.service.js'
import { toScimUser } from './user.service.js'

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

  async list (scope: RootSearchScope, input: ScimListParamsInput): Promise<ScimListResponse<ScimResourceObject>> {
    const query = prepareRootListQuery(ROOT_RESOURCES, input, { defaultCount: this.config.defaultPageSize, maxCount: this.config.maxPageSize })
    const { params } = query
    const branches = branchesOf(query)
    const page = (offset: number, limit: number): RootPageQuery => ({
      branches, baseUrl: scope.baseUrl, sort: sortOf(query), descending: params.sortOrder === 'descending', offset, limit
    })
    return await this.db.transaction().setIsolationLevel('repeatable read').execute(async trx => {
      const totalResults = await countRootResources(trx, scope.organizationId, branches, scope.baseUrl)
      const read = async (offset: number, limit: number): Promise<RootKey[]> =>
        offset >= totalResults || limit === 0 ? [] : await listRootPage(trx, scope.organizationId, page(offset, limit))
      if (params.cursor === undefined) {
        const keys = await read(params.startIndex - 1, params.count)
        const resources = await this.build(trx, scope, keys, query.projection)
        return buildListResponse(resources, { totalResults, startIndex: params.startIndex, itemsPerPage: resources.length })
      }
      const cursor = await pageListByCursor<RootKey>({
        params, sortBy: query.sortBy, resourceType: ROOT_CURSOR_TYPE, organizationId: scope.organizationId,
        fetchKeyset: async fetch => ({ totalResults, rows: await listRootByKeyset(trx, scope.organizationId, branches, scope.baseUrl, fetch) }),
        fetchOffset: async (offset, limit) => ({ totalResults, rows: await read(offset, limit) })
      })
      const resources = await this.build(trx, scope, cursor.records, query.projection)
      return buildListResponse(resources, {
        totalResults, itemsPerPage: resources.length, nextCursor: cursor.nextCursor, previousCursor: cursor.previousCursor
      })
    })
  }

  /** The page's resources in key order, each built as its own endpoint builds it. */
  private async build (trx: Db, scope: RootSearchScope, keys: readonly RootKey[], projection: ScimProjectionParams): Promise<ScimResourceObject[]> {
    const idsOf = (type: RootResourceType) => keys.filter(key => key.type === type).map(key => key.id)
    const withGroups = wantsAttribute(USER_RESOURCE, projection, 'groups')
    const users = await findUsersByIds(trx, scope.organizationId, idsOf('User'), withGroups)
    const groupRecords = await findGroupsByIds(trx, scope.organizationId, idsOf('Group'))
    // Groups in page order, so the member budget is spent in the order the client reads.
    const groupsInOrder = idsOf('Group').flatMap(id => groupRecords.get(id) ?? [])
    const groups = new Map((await this.groups.buildPage(trx, groupsInOrder, scope.baseUrl, projection)).map(result => [result.id, result.resource]))
    return keys.flatMap((key): ScimResourceObject[] => {
      const group = key.type === 'Group' ? groups.get(key.id) : undefined
      if (key.type === 'Group') return group === undefined ? [] : [group]
      const user = users.get(key.id)
      return user === undefined ? [] : [projectResource(USER_RESOURCE, toScimUser(user.record, user.groups, scope.baseUrl), projection)]
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
