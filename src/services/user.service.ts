/**
 * Users use cases. PUT and PATCH read the user, check If-Match, apply and validate, then write
 * with the event in one statement that applies only to the version read (`write`), so a
 * concurrent write in between makes it start again rather than be overwritten; DELETE, and a
 * PUT or PATCH that keeps losing that race or turns a customer into something else, lock the
 * row (`lockUserById`) in one transaction instead. POST, GET and a list page are single statements (atomic on their own, one snapshot;
 * an empty list page adds a count), which saves the BEGIN/COMMIT round trips.
 *
 * Client quirks decided here (CLIENTS.md "Users"):
 * - PUT is a full replace, but Okta PUTs our own GET body back: `id`, `meta`, `groups` are
 *   readOnly and dropped by validation; `password` in a PUT is ignored too (it is never in
 *   our GET body, and a PUT is not how clients change passwords; POST and PATCH set it).
 * - A PUT without `active` keeps the current value (a profile update must not deactivate a
 *   user), and a PUT without `userType` keeps the current type (a profile update must not
 *   silently turn an administrator into a customer, or fail on the membership rule).
 * - A user created without `active` is active (the column default, made explicit in the body
 *   so that filters on `active` see what responses show).
 */
import { randomBytes, scrypt, type ScryptOptions } from 'node:crypto'
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import {
  countUserMemberships, countUserMembershipsUpTo, deleteUserById, findUserWithGroups, insertUserRecorded, listUsers, listUsersByKeyset, lockUserById, patchUserSingular,
  updateUserIfVersion, type UserPage
} from '../repositories/user.repository.js'
import { toUserWrite, type UserGroupRecord, type UserRecord, type UserWithGroups } from '../repositories/user.mapper.js'
import { insertEvent, type EventActor, type EventOperation } from '../repositories/event.repository.js'
import { changedAttributes, presentAttributes } from '../scim/changed-attributes.js'
import { pageListByCursor } from '../scim/cursor.js'
import { ScimError } from '../scim/errors.js'
import type { ScimFilter } from '../scim/filter/ast.js'
import { applyPatch } from '../scim/patch/apply-patch.js'
import { singularUserChanges } from '../scim/patch/singular-changes.js'
import {
  buildListResponse, type ScimListParams, type ScimListParamsInput, type ScimListResponse, type ScimListResponseOptions
} from '../scim/list-params.js'
import { StreamedArray } from '../scim/json-stream.js'
import { prepareListQuery } from '../scim/list-query.js'
import { projectResource, wantsAttribute, type ScimProjectionParams } from '../scim/projection.js'
import { readPatchOperations } from '../scim/patch/patch-request.js'
import { assignAttributes, isPlainObject, type ScimResourceObject } from '../scim/resource.js'
import { DEFAULT_USER_TYPE, USER_RESOURCE } from '../scim/schema/registry.js'
import { USER_TYPE_VALUES } from '../scim/schema/user.schema.js'
import { validateResource } from '../scim/validate.js'
import { withReadSnapshot } from './read-snapshot.js'
import { inlineCeilingExceeded, NOTHING_TO_RELEASE, type ScimDocument } from './scim-document.js'
import { streamedUserPages, toScimUser, toStreamedScimUser } from './user-groups.stream.js'

/** Who is asking and how to spell URLs back to them. */
export interface UserScope {
  readonly organizationId: string
  /** Who is changing things (recorded with each change); absent for in-process callers. */
  readonly actor?: EventActor
  /** Absolute SCIM base URL (…/scim/v2) for `meta.location` and `groups[].$ref`. */
  readonly baseUrl: string
}

/** `If-Match` as parsed by the HTTP layer: undefined (none or `*`), a version, or 'never'. */
export type IfMatch = number | 'never' | undefined

/** Projected per the request's attributes/excludedAttributes; `groups` may stream (release it). */
export interface UserResult extends ScimDocument<ScimResourceObject> {
  readonly id: string
  readonly version: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1 }
const MEMBER_FKEY = 'group_members__user_id__fkey'
/** Groups of one user (GET, PUT, PATCH) read with the user in one statement; more are streamed. */
const FIRST_GROUPS = 1_000
/** Optimistic tries of a PUT or PATCH before it locks the row (see UserService.write). */
const OPTIMISTIC_ATTEMPTS = 3
/** Groups read with a list page, all its users together; a page whose users have more is streamed. */
const LIST_GROUPS_PER_STATEMENT = 10_000
const EXCLUDE_GROUPS_ADVICE = 'Read users with excludedAttributes=groups, and list the groups of a user with ' +
  'GET /Groups?filter=members[value eq "<user id>"]&excludedAttributes=members.'

export class UserService {
  constructor (protected readonly db: Db, protected readonly config: Config) {}

  async create (scope: UserScope, body: unknown, projection: ScimProjectionParams = {}): Promise<UserResult> {
    const resource = validateResource(USER_RESOURCE, body, { mode: 'create', maxValues: this.config.maxMultiValuedValues })
    canonicaliseUserType(resource)
    const password = takePassword(resource)
    if (resource.active === undefined) resource.active = true
    const passwordHash = password === undefined ? null : await hashPassword(password)
    // One statement, the change feed's event included; the unique index decides duplicates (409 via constraint-errors).
    const attributes = presentAttributes(resource)
    const record = await insertUserRecorded(this.db, scope.organizationId, toUserWrite(resource), passwordHash, {
      attributes: passwordHash === null ? attributes : [...attributes, 'password'].sort(), actor: scope.actor
    })
    return toResult(record, [], scope, projection)
  }

  /**
   * One statement (the user and its first groups) when the user is in at most FIRST_GROUPS
   * groups; otherwise the user is read again in a snapshot and its groups streamed (the caller
   * must `release` the result).
   */
  async get (scope: UserScope, id: string, projection: ScimProjectionParams = {}): Promise<UserResult> {
    const groupLimit = groupLimitOf(projection, FIRST_GROUPS)
    const found = UUID.test(id) ? await findUserWithGroups(this.db, scope.organizationId, id, groupLimit) : undefined
    if (found === undefined) throw notFound(id)
    if (found.groups.length <= FIRST_GROUPS) {
      this.checkCeiling(found.groups.length)
      return toResult(found.record, found.groups, scope, projection)
    }
    return await this.streamUser(scope, id, projection, true)
  }

  /** The user with its groups streamed from a fresh snapshot (`read`: a GET, subject to MAX_INLINE_MEMBERS). */
  private async streamUser (scope: UserScope, id: string, projection: ScimProjectionParams, read: boolean): Promise<UserResult> {
    return await withReadSnapshot(this.db, async snapshot => {
      const found = await findUserWithGroups(snapshot.trx, scope.organizationId, id, FIRST_GROUPS + 1)
      if (found === undefined) throw notFound(id)
      if (read) await this.checkCeilingInDb(snapshot.trx, scope, [found.record.id])
      const body = toStreamedScimUser(snapshot, scope.organizationId, found.record, found.groups, FIRST_GROUPS, scope.baseUrl, projection)
      return { id: found.record.id, version: found.record.version, body, release: snapshot.release }
    })
  }

  /** MAX_INLINE_MEMBERS for groups already counted. */
  private checkCeiling (groups: number): void {
    const ceiling = this.config.maxInlineMembers
    if (ceiling !== 0 && groups > ceiling) throw inlineCeilingExceeded(ceiling, 'groups', EXCLUDE_GROUPS_ADVICE)
  }

  /** MAX_INLINE_MEMBERS before streaming: counts at most ceiling + 1 memberships. */
  private async checkCeilingInDb (executor: Db, scope: UserScope, userIds: readonly string[]): Promise<void> {
    const ceiling = this.config.maxInlineMembers
    if (ceiling === 0) return
    this.checkCeiling(await countUserMembershipsUpTo(executor, scope.organizationId, userIds, ceiling + 1))
  }

  async replace (scope: UserScope, id: string, body: unknown, ifMatch: IfMatch, projection: ScimProjectionParams = {}): Promise<UserResult> {
    const next = validateResource(USER_RESOURCE, body, { mode: 'replace', maxValues: this.config.maxMultiValuedValues })
    takePassword(next)
    return await this.write(scope, id, ifMatch, projection, 'replace', current => {
      if (!hasKey(body, 'active')) next.active = current.active
      if (!hasKey(body, 'userType')) next.userType = current.userType
      return { resource: next, password: undefined }
    })
  }

  async patch (scope: UserScope, id: string, body: unknown, ifMatch: IfMatch, projection: ScimProjectionParams = {}): Promise<UserResult> {
    const operations = readPatchOperations(body, this.config.patchMaxOperations)
    const quick = await this.patchSingular(scope, id, operations, ifMatch, projection)
    if (quick !== undefined) return quick
    return await this.write(scope, id, ifMatch, projection, 'patch', current => {
      const stored = assignAttributes({}, current.attributes)
      stored.id = id
      const { resource: patched } = applyPatch(USER_RESOURCE, stored, operations, { resourceId: id })
      const next = validateResource(USER_RESOURCE, patched, { mode: 'replace', maxValues: this.config.maxMultiValuedValues, current: current.attributes })
      // Removing `active` keeps the state: the column has no "unknown".
      if (next.active === undefined) next.active = current.active
      return { resource: next, password: takePassword(next) }
    })
  }

  /**
   * A PATCH that only sets plain singular attributes (singular-changes.ts: Entra's `replace
   * active`) in one statement, without the read the general path needs. Undefined when it
   * does not apply, or wrote nothing (no such user, If-Match not met): the general path then
   * answers, with its 404 or 412, or applies the PATCH if the user changed in between.
   */
  private async patchSingular (
    scope: UserScope, id: string, operations: unknown[], ifMatch: IfMatch, projection: ScimProjectionParams
  ): Promise<UserResult | undefined> {
    if (ifMatch === 'never' || !UUID.test(id)) return undefined
    const changes = singularUserChanges(USER_RESOURCE, operations, { resourceId: id, maxValues: this.config.maxMultiValuedValues })
    if (changes === undefined) return undefined
    const updated = await patchUserSingular(this.db, scope.organizationId, id, ifMatch, changes, {
      groupLimit: groupLimitOf(projection, FIRST_GROUPS), actor: scope.actor
    })
    if (updated === undefined) return undefined
    return updated.groups.length <= FIRST_GROUPS ? toResult(updated.record, updated.groups, scope, projection) : await this.streamUser(scope, id, projection, false)
  }

  /**
   * GET /Users and POST /Users/.search (RFC 7644 §3.4.2, §3.4.3). One statement for page,
   * total and each user's first groups (see userListQuery; a second only for an empty page),
   * at most LIST_GROUPS_PER_STATEMENT groups in all. When a user of the page is in more
   * groups than that statement carried, the page is read again in a snapshot, without
   * groups, and every user's groups are streamed from it (user-groups.stream.ts), so the
   * response stays complete and consistent whatever the memberships.
   */
  async list (scope: UserScope, input: ScimListParamsInput): Promise<ScimDocument<ScimListResponse<unknown>>> {
    const { params, projection, filter, sortBy } = prepareListQuery(USER_RESOURCE, input, { defaultCount: this.config.defaultPageSize, maxCount: this.config.maxPageSize })
    const first = listFirstGroups(params.count)
    const page = await this.readPage(this.db, scope, { params, filter, sortBy, groupLimit: groupLimitOf(projection, first) })
    if (page.users.every(user => user.groups.length <= first)) {
      this.checkCeiling(page.users.reduce((sum, user) => sum + user.groups.length, 0))
      const resources = page.users.map(user => toResult(user.record, user.groups, scope, projection).body)
      return { body: buildListResponse(resources, page.options), release: NOTHING_TO_RELEASE }
    }
    return await withReadSnapshot(this.db, async snapshot => {
      const again = await this.readPage(snapshot.trx, scope, { params, filter, sortBy, groupLimit: 0 })
      const records = again.users.map(user => user.record)
      await this.checkCeilingInDb(snapshot.trx, scope, records.map(record => record.id))
      const resources = new StreamedArray(streamedUserPages(snapshot, scope.organizationId, records, scope.baseUrl, projection), true)
      return { body: { ...buildListResponse([], again.options), Resources: resources as unknown as unknown[] }, release: snapshot.release }
    })
  }

  /** A page of users with their first groups: index paging, or RFC 9865 cursors (src/scim/cursor.ts). */
  private async readPage (
    executor: Db, scope: UserScope, query: { params: ScimListParams, filter: ScimFilter | undefined, sortBy: string | undefined, groupLimit: number }
  ): Promise<{ users: UserWithGroups[], options: ScimListResponseOptions }> {
    const { params, filter, sortBy, groupLimit } = query
    const offsetPage = async (offset: number, limit: number): Promise<UserPage> => await listUsers(executor, scope.organizationId, {
      filter, sortBy, sortOrder: params.sortOrder, offset, limit, groupLimit, baseUrl: scope.baseUrl
    })
    if (params.cursor === undefined) {
      const page = await offsetPage(params.startIndex - 1, params.count)
      return { users: page.users, options: { totalResults: page.totalResults, startIndex: params.startIndex, itemsPerPage: page.users.length } }
    }
    const page = await pageListByCursor<UserWithGroups>({
      params, sortBy, resourceType: 'User', organizationId: scope.organizationId,
      fetchKeyset: async fetch => {
        const answer = await listUsersByKeyset(executor, scope.organizationId, { filter, baseUrl: scope.baseUrl, groupLimit, fetch })
        return { totalResults: answer.totalResults, rows: answer.users }
      },
      fetchOffset: async (offset, limit) => {
        const answer = await offsetPage(offset, limit)
        return { totalResults: answer.totalResults, rows: answer.users }
      }
    })
    return {
      users: page.records,
      options: { totalResults: page.totalResults, itemsPerPage: page.records.length, nextCursor: page.nextCursor, previousCursor: page.previousCursor }
    }
  }

  async delete (scope: UserScope, id: string, ifMatch: IfMatch): Promise<void> {
    await this.db.transaction().execute(async trx => {
      const current = await this.lock(trx, scope, id, ifMatch)
      await deleteUserById(trx, scope.organizationId, current.id)
      await recordUserEvent(trx, scope, { ...current, version: null }, 'delete', [])
    })
  }

  /**
   * Read, check If-Match, compute the new state, then write it and its event in one statement
   * that applies only if the row is still the version read: two round trips and no
   * transaction held open while JavaScript applies the PATCH. When another write got there
   * first, the request starts again from the new version (an If-Match then fails as it
   * would have); after OPTIMISTIC_ATTEMPTS, or when a customer would stop being one (the
   * membership count must be read under the row lock), it takes the locked path.
   */
  private async write (
    scope: UserScope, id: string, ifMatch: IfMatch, projection: ScimProjectionParams, operation: 'replace' | 'patch',
    compute: (current: UserRecord) => { resource: ScimResourceObject, password: string | undefined }
  ): Promise<UserResult> {
    if (!UUID.test(id)) throw notFound(id)
    const hash = hashOnce()
    for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
      const current = checkedVersion((await findUserWithGroups(this.db, scope.organizationId, id, 0))?.record, id, ifMatch)
      const { resource, password } = compute(current)
      canonicaliseUserType(resource)
      if (current.userType === DEFAULT_USER_TYPE && resource.userType !== DEFAULT_USER_TYPE) break
      const updated = await this.writeVersion(this.db, scope, current, resource, await hash(password), projection, operation)
      if (updated === undefined) continue
      return updated.groups.length <= FIRST_GROUPS ? toResult(updated.record, updated.groups, scope, projection) : await this.streamUser(scope, id, projection, false)
    }
    return await this.db.transaction().execute(async trx => {
      const current = checkedVersion(await lockUserById(trx, scope.organizationId, id), id, ifMatch)
      const { resource, password } = compute(current)
      canonicaliseUserType(resource)
      await checkUserTypeChange(trx, scope, current, String(resource.userType))
      // Locked: the row is at the version just read.
      const updated = await this.writeVersion(trx, scope, current, resource, await hash(password), projection, operation)
      if (updated === undefined) throw new Error(`user ${id} changed while locked`)
      return updated.groups.length <= FIRST_GROUPS ? toResult(updated.record, updated.groups, scope, projection) : undefined
    // More groups than one statement carries: streamed after the commit (its ETag is that snapshot's version).
    }).then(async result => result ?? await this.streamUser(scope, id, projection, false))
  }

  /** The write and its event, if the row is still at `current.version` (undefined: it is not, nothing written). */
  private async writeVersion (
    executor: Db, scope: UserScope, current: UserRecord, resource: ScimResourceObject, passwordHash: string | undefined,
    projection: ScimProjectionParams, operation: 'replace' | 'patch'
  ): Promise<UserWithGroups | undefined> {
    const write = toUserWrite(resource)
    const changed = changedAttributes(current.attributes, JSON.parse(write.attributes) as Record<string, unknown>)
    return await updateUserIfVersion(executor, scope.organizationId, current.id, current.version, write, {
      ...(passwordHash !== undefined ? { passwordHash } : {}),
      groupLimit: groupLimitOf(projection, FIRST_GROUPS),
      event: { operation, attributes: passwordHash === undefined ? changed : [...changed, 'password'].sort(), actor: scope.actor }
    }).catch((error: unknown) => { throw isConstraintViolation(error, MEMBER_FKEY) ? userTypeRefused(current, resource.userType, undefined) : error })
  }

  private async lock (trx: Db, scope: UserScope, id: string, ifMatch: IfMatch): Promise<UserRecord> {
    return checkedVersion(UUID.test(id) ? await lockUserById(trx, scope.organizationId, id) : undefined, id, ifMatch)
  }
}

/** The user as read, or 404; 412 when If-Match names another version. */
function checkedVersion (current: UserRecord | undefined, id: string, ifMatch: IfMatch): UserRecord {
  if (current === undefined) throw notFound(id)
  if (ifMatch !== undefined && ifMatch !== current.version) throw ScimError.preconditionFailed()
  return current
}

/**
 * Hashes for one request: scrypt is slow, and a write that retries (it lost its race) sets
 * the same password again, so it is hashed once.
 */
function hashOnce (): (password: string | undefined) => Promise<string | undefined> {
  let hashed: { password: string, hash: Promise<string> } | undefined
  return async password => {
    if (password === undefined) return undefined
    if (hashed?.password !== password) hashed = { password, hash: hashPassword(password) }
    return await hashed.hash
  }
}

/** The change feed's record of a user change, in the caller's transaction (its last statement). */
async function recordUserEvent (
  trx: Db, scope: UserScope, user: { id: string, version: number | null }, operation: EventOperation, attributes: readonly string[]
): Promise<void> {
  await insertEvent(trx, {
    organizationId: scope.organizationId, resourceType: 'User', resourceId: user.id, operation, version: user.version, attributes, actor: scope.actor
  })
}

/**
 * Product rule: only customers can be group members. The check here gives the count in the
 * error; the foreign key group_members__user_id__fkey refuses the same change if a
 * membership is added concurrently (the caller maps that violation too).
 */
async function checkUserTypeChange (trx: Db, scope: UserScope, current: UserRecord, nextType: string): Promise<void> {
  if (current.userType !== DEFAULT_USER_TYPE || nextType === DEFAULT_USER_TYPE) return
  const memberships = await countUserMemberships(trx, scope.organizationId, current.id)
  if (memberships > 0) throw userTypeRefused(current, nextType, memberships)
}

function userTypeRefused (current: UserRecord, nextType: unknown, memberships: number | undefined): ScimError {
  const groups = memberships === undefined ? 'at least one group' : `${memberships} group${memberships === 1 ? '' : 's'}`
  return ScimError.invalidValue(
    `userType cannot change from "${current.userType}" to ${JSON.stringify(nextType)}: the user is a member of ${groups}, ` +
    'and only customer users can be group members. Remove the user from its groups first.')
}

function notFound (id: string): ScimError {
  return ScimError.notFound(`User ${JSON.stringify(id)} not found.`)
}

function wantsGroups (projection: ScimProjectionParams): boolean {
  return wantsAttribute(USER_RESOURCE, projection, 'groups')
}

function hasKey (body: unknown, name: string): boolean {
  if (!isPlainObject(body)) return false
  const lower = name.toLowerCase()
  return Object.entries(body).some(([key, value]) => key.toLowerCase() === lower && value !== null && value !== undefined)
}

/**
 * userType is caseExact=false (RFC 7643 §2.3.1 default): "Customer" is the customer type.
 * Stored in its canonical spelling, because membership (group_members.user_type = 'customer')
 * compares exactly.
 */
function canonicaliseUserType (resource: ScimResourceObject): void {
  const type = resource.userType
  if (typeof type !== 'string') return
  const canonical = USER_TYPE_VALUES.find(value => value.toLowerCase() === type.toLowerCase())
  if (canonical !== undefined) resource.userType = canonical
}

/** Removes the cleartext password from a canonical resource and returns it. */
function takePassword (resource: ScimResourceObject): string | undefined {
  const password = resource.password
  delete resource.password
  return typeof password === 'string' && password !== '' ? password : undefined
}

/** scrypt with a random salt; the parameters are stored with the hash so they can change later. */
export async function hashPassword (password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, 64, SCRYPT, (error, derived) => { if (error) reject(error); else resolve(derived) })
  })
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`
}


function toResult (record: UserRecord, groups: readonly UserGroupRecord[], scope: UserScope, projection: ScimProjectionParams): UserResult {
  const body = projectResource(USER_RESOURCE, toScimUser(record, groups, scope.baseUrl), projection)
  return { id: record.id, version: record.version, body, release: NOTHING_TO_RELEASE }
}

/** Groups per user a list page's statement carries: 10 to 1 000, so that the page holds at most about LIST_GROUPS_PER_STATEMENT. */
function listFirstGroups (count: number): number {
  return Math.min(FIRST_GROUPS, Math.max(10, Math.floor(LIST_GROUPS_PER_STATEMENT / Math.max(1, count))))
}

function groupLimitOf (projection: ScimProjectionParams, first: number): number {
  // One more than shown tells a user with more groups (streamed) from one whose fit.
  return wantsGroups(projection) ? first + 1 : 0
}
