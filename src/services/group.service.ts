/**
 * Groups use cases. Writes are one transaction each: lock the group row (`lockGroupById`),
 * check If-Match against its version, check the membership rule, apply, bump the version,
 * so concurrent requests on one group serialize and lose nothing.
 *
 * Decisions (CLIENTS.md "Groups", "The membership rule"):
 * - Member changes are set operations on `group_members` (membership.repository.ts); a
 *   group's member list is never loaded to change it.
 * - Every member id a request adds (POST, PUT, PATCH add/replace) is checked in ONE query
 *   before anything is written: any id that is not a customer user of the organization makes
 *   the whole request 400 invalidValue naming those ids. The foreign key of migration 0002
 *   refuses the same under races (a userType changed concurrently); that violation is mapped
 *   to the same 400, never a 500 (Entra quarantines jobs on persistent 5xx).
 * - PUT replaces displayName and externalId and, when `members` is present, the exact member
 *   list (`[]` empties). A PUT without `members` keeps them: RFC 7644 §3.5.1 lets the server
 *   treat omitted readWrite attributes as "not asserted", and wiping a large group because a
 *   client only meant to rename it is not a risk worth taking (inferred).
 * - Removing a non-member, or an id that is not even a UUID, succeeds (CLIENTS.md, inferred).
 * - The version (ETag) changes when a write changes something; adding an existing member or
 *   removing a non-member is a no-op that keeps it.
 * - A response that lists members lists ALL of them, in user-id order, or fails before
 *   anything is sent. Reads (GET, list pages, .search) stream the members from a read
 *   snapshot (read-snapshot.ts) in keyset pages of MEMBER_PAGE_SIZE, so memory per request is
 *   a page whatever the group size, each page is a short statement, and the list matches the
 *   version in the ETag. A write's response (POST, PUT, PATCH asking for attributes) is built
 *   inside the write's transaction when the group has at most MEMBER_PAGE_SIZE members, and
 *   otherwise streamed after the commit from a fresh snapshot (its ETag is that snapshot's
 *   version: the write's own, or a later one).
 * - MAX_INLINE_MEMBERS (`config.maxInlineMembers`, 0 = no ceiling, the default) refuses a
 *   read whose response would list more members, with 400 tooMany telling the client to use
 *   `excludedAttributes=members` and membership filters (Entra always does). It is checked
 *   before streaming starts and never cuts a list. A write's response is not refused: the
 *   write has already happened.
 */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import {
  memberShapeOf, toGroupWrite, toScimGroup, toScimGroupResponse, toScimMember, type GroupMemberRecord, type GroupRecord, type ScimMemberShape
} from '../repositories/group.mapper.js'
import {
  countGroups, deleteGroupById, findGroupById, insertGroup, listGroups, listGroupsByKeyset, listGroupsWithTotal, lockGroupById, updateGroup
} from '../repositories/group.repository.js'
import {
  addMembers, changeGroupMembers, countMembersUpTo, findNonCustomerIds, listFirstMembersOfGroups, listMembersPage, removeAllMembers, removeMembers, replaceMembers
} from '../repositories/membership.repository.js'
import { insertEvent, type EventActor, type EventOperation } from '../repositories/event.repository.js'
import { changedAttributes, presentAttributes } from '../scim/changed-attributes.js'
import { pageListByCursor } from '../scim/cursor.js'
import { ScimError } from '../scim/errors.js'
import {
  buildListResponse, type ScimListParamsInput, type ScimListResponse
} from '../scim/list-params.js'
import { prepareListQuery } from '../scim/list-query.js'
import { applyPatch, memberOnlyChanges, type ScimMemberChange } from '../scim/patch/apply-patch.js'
import type { ScimProjectionParams } from '../scim/projection.js'
import { readPatchOperations } from '../scim/patch/patch-request.js'
import { isPlainObject, type ScimResourceObject } from '../scim/resource.js'
import { GROUP_RESOURCE } from '../scim/schema/registry.js'
import { StreamedArray } from '../scim/json-stream.js'
import { validateResource } from '../scim/validate.js'
import { SnapshotReleasedError, withReadSnapshot, type ReadSnapshot } from './read-snapshot.js'
import { inlineCeilingExceeded, NOTHING_TO_RELEASE, type ScimDocument } from './scim-document.js'

/** Who is asking and how to spell URLs back to them. */
export interface GroupScope {
  readonly organizationId: string
  /** Who is changing things (recorded with each change); absent for in-process callers. */
  readonly actor?: EventActor
  /** Absolute SCIM base URL (…/scim/v2) for `meta.location` and `members[].$ref`. */
  readonly baseUrl: string
}

/** `If-Match` as parsed by the HTTP layer: undefined (none or `*`), a version, or 'never'. */
export type IfMatch = number | 'never' | undefined

export interface GroupResult extends ScimDocument<ScimResourceObject> {
  readonly id: string
  readonly version: number
}

export interface GroupPatchResult {
  readonly id: string
  readonly version: number
  /** Only when the request asked for attributes (CLIENTS.md: otherwise 204, no body). */
  readonly result: GroupResult | undefined
  /** Ids the request removed that were not members: a success, but worth a log line (CLIENTS.md). */
  readonly nonMembersRemoved: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const MEMBER_FKEY = 'group_members__user_id__fkey'
/** Members read per keyset query when building a response. */
const MEMBER_PAGE_SIZE = 10_000
/** Members per group read for several groups of a listing page in one query; bigger groups continue by keyset. */
export const LIST_FIRST_MEMBERS = 1_000
/** Groups whose first members are read together: at most MEMBER_PAGE_SIZE rows per statement. */
const LIST_GROUPS_PER_QUERY = MEMBER_PAGE_SIZE / LIST_FIRST_MEMBERS
const EXCLUDE_MEMBERS_ADVICE = 'Read groups with excludedAttributes=members, and test memberships with ' +
  'filter=members[value eq "<user id>"] (GET /Groups?filter=…&excludedAttributes=members).'

/** Told, after a commit, how many membership rows one request added or removed. */
export type MembershipObserver = (rowsChanged: number) => void

export class GroupService {
  private membershipObserver: MembershipObserver | undefined

  constructor (protected readonly db: Db, protected readonly config: Config) {}

  /** For metrics: the HTTP layer observes committed membership changes. */
  observeMembershipChanges (observer: MembershipObserver): void {
    this.membershipObserver = observer
  }

  async create (scope: GroupScope, body: unknown, projection: ScimProjectionParams = {}): Promise<GroupResult> {
    const resource = validateResource(GROUP_RESOURCE, body, { mode: 'create', maxValues: this.config.maxMultiValuedValues })
    const memberIds = memberIdsOf(resource) ?? []
    return await this.withMemberRule(scope, memberIds, async (trx, tally) => {
      await checkMembers(trx, scope, memberIds)
      const record = await insertGroup(trx, scope.organizationId, toGroupWrite(resource))
      const added = await addMembers(trx, scope.organizationId, record.id, memberIds)
      tally(added.length)
      const built = await this.build(trx, record, scope.baseUrl, projection)
      const attributes = presentAttributes(toScimGroup(record, scope.baseUrl))
      await recordGroupEvent(trx, scope, record, 'create', added.length > 0 ? [...attributes, 'members'].sort() : attributes, { added, removed: [] })
      return built
    }).then(async built => await this.streamIfLarge(scope, built, projection))
  }

  /**
   * The group, with its members (when wanted) streamed from a snapshot: the caller must
   * `release` the result. Not found and the MAX_INLINE_MEMBERS ceiling are decided before
   * anything can be sent.
   */
  async get (scope: GroupScope, id: string, projection: ScimProjectionParams = {}): Promise<GroupResult> {
    const shape = memberShapeOf(projection)
    // Without members it is one query, and group_members is not read (CLIENTS.md).
    if (shape === undefined) {
      const record = UUID.test(id) ? await findGroupById(this.db, scope.organizationId, id) : undefined
      if (record === undefined) throw notFound(id)
      return complete(record, toScimGroupResponse(record, scope.baseUrl, projection, undefined))
    }
    return await withReadSnapshot(this.db, async snapshot => {
      const record = UUID.test(id) ? await findGroupById(snapshot.trx, scope.organizationId, id) : undefined
      if (record === undefined) throw notFound(id)
      await this.checkCeiling(snapshot.trx, [record.id])
      const members = new StreamedArray(memberPages(snapshot, record.id, scope.baseUrl, shape, undefined))
      return { id: record.id, version: record.version, body: toScimGroupResponse(record, scope.baseUrl, projection, members), release: snapshot.release }
    })
  }

  async replace (scope: GroupScope, id: string, body: unknown, ifMatch: IfMatch, projection: ScimProjectionParams = {}): Promise<GroupResult> {
    const next = validateResource(GROUP_RESOURCE, body, { mode: 'replace', maxValues: this.config.maxMultiValuedValues })
    const memberIds = memberIdsOf(next)
    return await this.withMemberRule(scope, memberIds ?? [], async (trx, tally) => {
      const current = await lock(trx, scope, id, ifMatch)
      await checkMembers(trx, scope, memberIds ?? [])
      const record = await updateGroup(trx, scope.organizationId, id, toGroupWrite(next))
      const members = memberIds === undefined ? NO_MEMBER_CHANGE : await replaceMembers(trx, scope.organizationId, id, memberIds)
      tally(members.added.length + members.removed.length)
      const built = await this.build(trx, record, scope.baseUrl, projection)
      await recordGroupEvent(trx, scope, record, 'replace', groupChanges(current, record, scope.baseUrl, members), members)
      return built
    }).then(async built => await this.streamIfLarge(scope, built, projection))
  }

  /** `projection` undefined: the client asked for no body (204). */
  async patch (scope: GroupScope, id: string, body: unknown, ifMatch: IfMatch, projection: ScimProjectionParams | undefined): Promise<GroupPatchResult> {
    const operations = readPatchOperations(body, this.config.patchMaxOperations)
    if (projection === undefined) {
      const changes = memberOnlyChanges(GROUP_RESOURCE, operations)
      const quick = changes === undefined ? undefined : await this.patchMembers(scope, id, changes, ifMatch)
      if (quick !== undefined) return quick
    }
    let added: string[] = []
    return await this.withMemberRule(scope, () => added, async (trx, tally) => {
      const current = await lock(trx, scope, id, ifMatch)
      const before = toScimGroup(current, scope.baseUrl)
      const patched = applyPatch(GROUP_RESOURCE, before, operations, { resourceId: id })
      const next = validateResource(GROUP_RESOURCE, patched.resource, { mode: 'replace', maxValues: this.config.maxMultiValuedValues, current: before })
      added = addedIds(patched.members)
      await checkMembers(trx, scope, added)
      const { members, nonMembersRemoved } = await applyMemberChanges(trx, scope, id, patched.members)
      const membersChanged = members.added.length + members.removed.length > 0
      tally(members.added.length + members.removed.length)
      const write = toGroupWrite(next)
      const attributesChanged = write.display_name !== current.displayName || write.external_id !== current.externalId ||
        write.attributes !== JSON.stringify(current.attributes)
      const record = attributesChanged || membersChanged
        ? await updateGroup(trx, scope.organizationId, id, attributesChanged ? write : undefined)
        : current
      const built = projection === undefined ? undefined : await this.build(trx, record, scope.baseUrl, projection)
      if (record !== current) await recordGroupEvent(trx, scope, record, 'patch', groupChanges(current, record, scope.baseUrl, members), members)
      return { id, version: record.version, built, nonMembersRemoved }
    }).then(async ({ built, ...rest }) => ({
      ...rest,
      result: built === undefined || projection === undefined ? undefined : await this.streamIfLarge(scope, built, projection)
    }))
  }

  /**
   * A PATCH that only adds and removes members, answered without a body: one statement
   * (changeGroupMembers) instead of a transaction of five. Same rules, same errors: 404, 412,
   * the membership rule's 400 naming the ids, the version bumped only by a change. Undefined
   * when the changes need the general path (replace, remove all, an id both added and removed,
   * ids that are not UUIDs among those added: the general path words those errors).
   */
  private async patchMembers (scope: GroupScope, id: string, changes: readonly ScimMemberChange[], ifMatch: IfMatch): Promise<GroupPatchResult | undefined> {
    if (!changes.every(change => change.kind === 'add' || change.kind === 'remove')) return undefined
    const add = addedIds(changes)
    if (!add.every(member => UUID.test(member))) return undefined
    const removeRequested = changes.flatMap(change => change.kind === 'remove' ? change.ids : [])
    const remove = [...new Set(removeRequested.filter(member => UUID.test(member)).map(member => member.toLowerCase()))]
    const adding = new Set(add.map(member => member.toLowerCase()))
    if (remove.some(member => adding.has(member))) return undefined
    if (!UUID.test(id)) throw notFound(id)
    const outcome = await changeGroupMembers(this.db, scope.organizationId, id, add, remove, ifMatch === 'never' ? -1 : ifMatch, scope.actor)
      .catch(async (error: unknown) => { throw await this.refusedByConstraint(error, scope, add) })
    if (!outcome.groupExists) throw notFound(id)
    if (outcome.versionMismatch) throw ScimError.preconditionFailed()
    if (outcome.refused.length > 0) {
      const refused = new Set(outcome.refused)
      throw membersRefused(add.filter(member => refused.has(member.toLowerCase())), false)
    }
    // One statement: committed already.
    if (outcome.added + outcome.removed > 0) this.membershipObserver?.(outcome.added + outcome.removed)
    return { id, version: outcome.version as number, result: undefined, nonMembersRemoved: removeRequested.length - outcome.removed }
  }

  /**
   * GET /Groups and POST /Groups/.search (RFC 7644 §3.4.2, §3.4.3). Count, page and every
   * member come from one snapshot, so totalResults agrees with the page and each group's
   * members with its version. With `excludedAttributes=members` (PingFederate, Entra)
   * group_members is never read; otherwise the members are streamed group by group, the
   * first LIST_FIRST_MEMBERS of LIST_GROUPS_PER_QUERY groups per statement.
   */
  async list (scope: GroupScope, input: ScimListParamsInput): Promise<ScimDocument<ScimListResponse<unknown>>> {
    const { params, projection, filter, sortBy } = prepareListQuery(GROUP_RESOURCE, input, { defaultCount: this.config.defaultPageSize, maxCount: this.config.maxPageSize })
    if (memberShapeOf(projection) === undefined && params.cursor === undefined) {
      // No members to read (excludedAttributes=members, as Entra and PingFederate list):
      // page and total come from one statement, which is its own snapshot.
      const page = await listGroupsWithTotal(this.db, scope.organizationId, {
        filter, baseUrl: scope.baseUrl, sortBy, descending: params.sortOrder === 'descending', offset: params.startIndex - 1, limit: params.count
      })
      const envelope = buildListResponse([], { totalResults: page.totalResults, startIndex: params.startIndex, itemsPerPage: page.records.length })
      const resources = page.records.map(record => toScimGroupResponse(record, scope.baseUrl, projection, undefined))
      return { body: { ...envelope, Resources: resources }, release: NOTHING_TO_RELEASE }
    }
    return await withReadSnapshot(this.db, async snapshot => {
      const trx = snapshot.trx
      const totalResults = await countGroups(trx, scope.organizationId, filter, scope.baseUrl)
      // RFC 9865 cursor pagination when a `cursor` parameter is present (see src/scim/cursor.ts).
      const cursor = params.cursor === undefined ? undefined : await pageListByCursor({
        params, sortBy, resourceType: 'Group', organizationId: scope.organizationId,
        fetchKeyset: async fetch => ({ totalResults, rows: await listGroupsByKeyset(trx, scope.organizationId, filter, scope.baseUrl, fetch) }),
        fetchOffset: async (offset, limit) => ({
          totalResults,
          rows: offset >= totalResults || limit === 0
            ? []
            : await listGroups(trx, scope.organizationId, { filter, baseUrl: scope.baseUrl, sortBy, descending: params.sortOrder === 'descending', offset, limit })
        })
      })
      const records = cursor !== undefined
        ? cursor.records
        : params.count === 0 || params.startIndex > totalResults
          ? []
          : await listGroups(trx, scope.organizationId, {
            filter, baseUrl: scope.baseUrl, sortBy, descending: params.sortOrder === 'descending', offset: params.startIndex - 1, limit: params.count
          })
      const envelope = buildListResponse([], cursor !== undefined
        ? { totalResults, itemsPerPage: records.length, nextCursor: cursor.nextCursor, previousCursor: cursor.previousCursor }
        : { totalResults, startIndex: params.startIndex, itemsPerPage: records.length })
      const shape = memberShapeOf(projection)
      if (shape === undefined || records.length === 0) {
        await snapshot.release()
        const resources = records.map(record => toScimGroupResponse(record, scope.baseUrl, projection, undefined))
        return { body: { ...envelope, Resources: resources }, release: NOTHING_TO_RELEASE }
      }
      await this.checkCeiling(trx, records.map(record => record.id))
      const resources = new StreamedArray(groupPages(snapshot, records, scope.baseUrl, projection, shape), true)
      return { body: { ...envelope, Resources: resources as unknown as unknown[] }, release: snapshot.release }
    })
  }

  async delete (scope: GroupScope, id: string, ifMatch: IfMatch): Promise<void> {
    await this.db.transaction().execute(async trx => {
      const current = await lock(trx, scope, id, ifMatch)
      await deleteGroupById(trx, scope.organizationId, id)
      await recordGroupEvent(trx, scope, { id: current.id, version: null }, 'delete', [], NO_MEMBER_CHANGE)
    })
  }

  /**
   * A write's response, inside its transaction: complete when the group has at most
   * MEMBER_PAGE_SIZE members (one statement), otherwise `undefined` entries tell
   * streamIfLarge to stream it after the commit.
   */
  private async build (executor: Db, record: GroupRecord, baseUrl: string, projection: ScimProjectionParams): Promise<BuiltGroup> {
    const shape = memberShapeOf(projection)
    if (shape === undefined) return { record, result: complete(record, toScimGroupResponse(record, baseUrl, projection, undefined)) }
    const page = await listMembersPage(executor, record.id, undefined, MEMBER_PAGE_SIZE + 1)
    if (page.length > MEMBER_PAGE_SIZE) return { record, result: undefined }
    const members = page.map(member => toScimMember(member, baseUrl, shape))
    return { record, result: complete(record, toScimGroupResponse(record, baseUrl, projection, members)) }
  }

  /** A write's response that was too large to build in its transaction, streamed from a snapshot now. */
  private async streamIfLarge (scope: GroupScope, built: BuiltGroup, projection: ScimProjectionParams): Promise<GroupResult> {
    if (built.result !== undefined) return built.result
    return await withReadSnapshot(this.db, async snapshot => {
      const record = await findGroupById(snapshot.trx, scope.organizationId, built.record.id)
      // Deleted since our commit: our own write's state is what the client asked about.
      if (record === undefined) throw notFound(built.record.id)
      const shape = memberShapeOf(projection) as ScimMemberShape
      const members = new StreamedArray(memberPages(snapshot, record.id, scope.baseUrl, shape, undefined))
      return { id: record.id, version: record.version, body: toScimGroupResponse(record, scope.baseUrl, projection, members), release: snapshot.release }
    })
  }

  /** MAX_INLINE_MEMBERS, before anything is sent: counts at most ceiling + 1 rows. */
  private async checkCeiling (executor: Db, groupIds: readonly string[]): Promise<void> {
    const ceiling = this.config.maxInlineMembers
    if (ceiling === 0) return
    if (await countMembersUpTo(executor, groupIds, ceiling + 1) > ceiling) {
      throw inlineCeilingExceeded(ceiling, 'members', EXCLUDE_MEMBERS_ADVICE)
    }
  }

  /**
   * Runs `work` in a transaction; a foreign-key refusal of a membership (a user stopped being a
   * customer between our check and our insert) becomes the rule's 400 naming the offending ids,
   * looked up again once the transaction has rolled back.
   */
  /** `tally` counts membership rows changed; they are reported once the transaction commits. */
  private async withMemberRule<T> (
    scope: GroupScope, ids: readonly string[] | (() => readonly string[]), work: (trx: Db, tally: (rows: number) => void) => Promise<T>
  ): Promise<T> {
    try {
      let rows = 0
      const result = await this.db.transaction().execute(trx => work(trx, n => { rows += n }))
      if (rows > 0) this.membershipObserver?.(rows)
      return result
    } catch (error) {
      throw await this.refusedByConstraint(error, scope, typeof ids === 'function' ? ids() : ids)
    }
  }

  /** `error` itself, unless it is the membership foreign key's refusal: then the rule's 400. */
  private async refusedByConstraint (error: unknown, scope: GroupScope, ids: readonly string[]): Promise<unknown> {
    if (!isConstraintViolation(error, MEMBER_FKEY)) return error
    return membersRefused(await findNonCustomerIds(this.db, scope.organizationId, ids.filter(id => UUID.test(id))), true)
  }
}

interface BuiltGroup { readonly record: GroupRecord, readonly result: GroupResult | undefined }

function complete (record: GroupRecord, body: ScimResourceObject): GroupResult {
  return { id: record.id, version: record.version, body, release: NOTHING_TO_RELEASE }
}

/**
 * A group's members as projected entries, page by page from the snapshot: `first` (already
 * read with other groups, `firstLimit` asked) and then keyset pages after the last id.
 */
async function * memberPages (
  snapshot: ReadSnapshot, groupId: string, baseUrl: string, shape: ScimMemberShape,
  first: { page: readonly GroupMemberRecord[], limit: number } | undefined
): AsyncGenerator<unknown[], void, undefined> {
  let next = first
  let after: string | undefined
  for (;;) {
    if (next === undefined) {
      if (snapshot.released) throw new SnapshotReleasedError()
      next = { page: await listMembersPage(snapshot.trx, groupId, after, MEMBER_PAGE_SIZE), limit: MEMBER_PAGE_SIZE }
    }
    const { page, limit } = next
    yield page.map(member => toScimMember(member, baseUrl, shape))
    if (page.length < limit) return
    after = page[page.length - 1]?.userId
    next = undefined
  }
}

/** A listing page's groups, LIST_GROUPS_PER_QUERY at a time, each with its streamed members. */
async function * groupPages (
  snapshot: ReadSnapshot, records: readonly GroupRecord[], baseUrl: string, projection: ScimProjectionParams, shape: ScimMemberShape
): AsyncGenerator<unknown[], void, undefined> {
  for (let i = 0; i < records.length; i += LIST_GROUPS_PER_QUERY) {
    const chunk = records.slice(i, i + LIST_GROUPS_PER_QUERY)
    if (snapshot.released) throw new SnapshotReleasedError()
    const first = await listFirstMembersOfGroups(snapshot.trx, chunk.map(record => record.id), LIST_FIRST_MEMBERS)
    yield chunk.map(record => toStreamedScimGroup(snapshot, record, baseUrl, projection, shape, first.get(record.id) ?? []))
  }
}

/**
 * A group with its members streamed from `snapshot`, starting from `first` (its first
 * members by id, read with listFirstMembersOfGroups(…, LIST_FIRST_MEMBERS)). Root-level
 * queries (root-search.service.ts) build their groups here too.
 */
export function toStreamedScimGroup (
  snapshot: ReadSnapshot, record: GroupRecord, baseUrl: string, projection: ScimProjectionParams, shape: ScimMemberShape,
  first: readonly GroupMemberRecord[]
): ScimResourceObject {
  const members = new StreamedArray(memberPages(snapshot, record.id, baseUrl, shape, { page: first, limit: LIST_FIRST_MEMBERS }))
  return toScimGroupResponse(record, baseUrl, projection, members)
}

async function lock (trx: Db, scope: GroupScope, id: string, ifMatch: IfMatch): Promise<GroupRecord> {
  const current = UUID.test(id) ? await lockGroupById(trx, scope.organizationId, id) : undefined
  if (current === undefined) throw notFound(id)
  if (ifMatch !== undefined && ifMatch !== current.version) throw ScimError.preconditionFailed()
  return current
}

/** The membership rule in one query: ids that are not UUIDs cannot be users at all. */
async function checkMembers (trx: Db, scope: GroupScope, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  const malformed = new Set(ids.filter(id => !UUID.test(id)))
  const refused = new Set([...malformed, ...await findNonCustomerIds(trx, scope.organizationId, ids.filter(id => !malformed.has(id)))])
  if (refused.size > 0) throw membersRefused(ids.filter(id => refused.has(id.toLowerCase()) || refused.has(id)), false)
}

function membersRefused (ids: readonly string[], concurrent: boolean): ScimError {
  const shown = ids.slice(0, 20).map(id => JSON.stringify(id)).join(', ')
  const more = ids.length > 20 ? ` and ${ids.length - 20} more` : ''
  const why = concurrent ? ' (changed while this request ran)' : ''
  return ScimError.invalidValue(ids.length === 0
    ? 'Only existing customer users of this organization can be group members; nothing was changed.'
    : `Only existing customer users of this organization can be group members${why}; not: ${shown}${more}. Nothing was changed.`)
}

/**
 * One statement per change, in request order. Returns the net change of the member set (an id
 * added and then removed again is no change) and how many removals found no member.
 */
async function applyMemberChanges (
  trx: Db, scope: GroupScope, groupId: string, changes: readonly ScimMemberChange[]
): Promise<{ members: MemberChange, nonMembersRemoved: number }> {
  const added = new Set<string>()
  const removed = new Set<string>()
  const add = (ids: readonly string[]): void => { for (const id of ids) if (!removed.delete(id)) added.add(id) }
  const remove = (ids: readonly string[]): void => { for (const id of ids) if (!added.delete(id)) removed.add(id) }
  let nonMembersRemoved = 0
  for (const change of changes) {
    switch (change.kind) {
      case 'add':
        add(await addMembers(trx, scope.organizationId, groupId, change.ids))
        break
      case 'remove': {
        const gone = await removeMembers(trx, groupId, change.ids.filter(id => UUID.test(id)))
        remove(gone)
        nonMembersRemoved += change.ids.length - gone.length
        break
      }
      case 'removeAll':
        remove(await removeAllMembers(trx, groupId))
        break
      case 'replace': {
        const replaced = await replaceMembers(trx, scope.organizationId, groupId, change.ids)
        remove(replaced.removed)
        add(replaced.added)
        break
      }
    }
  }
  return { members: { added: [...added], removed: [...removed] }, nonMembersRemoved }
}

interface MemberChange { readonly added: readonly string[], readonly removed: readonly string[] }

const NO_MEMBER_CHANGE: MemberChange = { added: [], removed: [] }

/** The attributes a write changed: displayName, externalId…, and `members` when the set changed. */
function groupChanges (before: GroupRecord, after: GroupRecord, baseUrl: string, members: MemberChange): string[] {
  const changed = changedAttributes(toScimGroup(before, baseUrl), toScimGroup(after, baseUrl))
  return members.added.length + members.removed.length > 0 ? [...changed, 'members'].sort() : changed
}

/** The change feed's record of a group change, in the caller's transaction (its last statement). */
async function recordGroupEvent (
  trx: Db, scope: GroupScope, group: { id: string, version: number | null }, operation: EventOperation, attributes: readonly string[],
  members: MemberChange
): Promise<void> {
  await insertEvent(trx, {
    organizationId: scope.organizationId,
    resourceType: 'Group',
    resourceId: group.id,
    operation,
    version: group.version,
    attributes,
    membersAdded: members.added,
    membersRemoved: members.removed,
    actor: scope.actor
  })
}

/** Every id the changes add (add and replace), once each, in order. */
function addedIds (changes: readonly ScimMemberChange[]): string[] {
  const ids = new Set<string>()
  for (const change of changes) if (change.kind === 'add' || change.kind === 'replace') for (const id of change.ids) ids.add(id)
  return [...ids]
}

/** Member ids of a validated POST/PUT body; undefined when `members` is absent. */
function memberIdsOf (resource: ScimResourceObject): string[] | undefined {
  if (resource.members === undefined) return undefined
  const members = resource.members as unknown[]
  const ids = members.map((member, i) => {
    const value = isPlainObject(member) ? member.value : undefined
    if (typeof value !== 'string' || value === '') throw ScimError.invalidValue(`members[${i}] needs a "value" holding the member id.`)
    return value
  })
  return [...new Set(ids)]
}

function notFound (id: string): ScimError {
  return ScimError.notFound(`Group ${JSON.stringify(id)} not found.`)
}

