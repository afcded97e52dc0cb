/**
 * The console's only way to the service: the public SCIM API under /scim/v2, with the
 * organization token of the signed-in tab. Every page goes through these functions.
 */
import { and, eq, membersPath, not, type Filter } from './filter.js'

const BASE = '/scim/v2'
const SCIM_JSON = 'application/scim+json'
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

/** The user attributes every user list needs (not `groups` unless asked: they can be many). */
const USER_ATTRIBUTES = 'userName,displayName,name,emails,userType,active'

export interface ScimEmail { readonly value: string, readonly primary?: boolean }
export interface ScimGroupRef { readonly value: string, readonly display?: string }

export interface ScimUser {
  readonly id: string
  readonly userName: string
  readonly displayName?: string
  readonly userType?: string
  readonly active?: boolean
  readonly emails?: readonly ScimEmail[]
  readonly groups?: readonly ScimGroupRef[]
}

export interface ScimGroup {
  readonly id: string
  readonly displayName: string
  readonly meta: { readonly version?: string, readonly created?: string, readonly lastModified?: string }
}

export interface ListPage<T> {
  readonly totalResults: number
  readonly resources: readonly T[]
  readonly nextCursor?: string
  readonly previousCursor?: string
}

/** A page request: no cursor means the first page (RFC 9865 §2: an empty `cursor`). */
export interface PageRequest {
  readonly cursor?: string
  readonly count: number
}

/** A SCIM error answer (RFC 7644 §3.12), with what the service said about it. */
export class ScimApiError extends Error {
  override name = 'ScimApiError'
  constructor (readonly status: number, readonly scimType: string | undefined, readonly detail: string) {
    super(detail)
  }
}

export type Unauthorized = () => void

/**
 * Requests in flight at once. The service limits each organization's concurrent requests
 * (ORG_MAX_CONCURRENT_REQUESTS, 5 by default); a page's member counts must not use them all.
 */
const MAX_IN_FLIGHT = 3
/** Times a request refused with 429 is sent again, after the Retry-After the service gave. */
const RETRIES_AFTER_429 = 2

let inFlight = 0
const waiting: Array<() => void> = []

async function withSlot<T> (work: () => Promise<T>): Promise<T> {
  if (inFlight >= MAX_IN_FLIGHT) await new Promise<void>(resolve => waiting.push(resolve))
  inFlight++
  try {
    return await work()
  } finally {
    inFlight--
    waiting.shift()?.()
  }
}

function retryDelayMs (response: Response): number {
  const seconds = Number(response.headers.get('Retry-After'))
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 10) * 1000 : 1000
}

export class ScimClient {
  constructor (private readonly token: string, private readonly onUnauthorized: Unauthorized) {}

  async listGroups (search: Filter | undefined, page: PageRequest): Promise<ListPage<ScimGroup>> {
    return await this.list<ScimGroup>('/Groups', { filter: search, excludedAttributes: 'members', ...pageParams(page) })
  }

  async getGroup (id: string): Promise<ScimGroup> {
    const { body, etag } = await this.send<ScimGroup>('GET', `/Groups/${encodeURIComponent(id)}?excludedAttributes=members`)
    return withVersion(body, etag)
  }

  /** How many members a group has, without reading them: the total of a zero-size page. */
  async countMembers (groupId: string): Promise<number> {
    const page = await this.list<ScimUser>('/Users', { filter: eq('groups.value', groupId), count: '0' })
    return page.totalResults
  }

  async createGroup (displayName: string, memberIds: readonly string[]): Promise<ScimGroup> {
    const body = { schemas: [GROUP_SCHEMA], displayName, members: memberIds.map(value => ({ value })) }
    const created = await this.send<ScimGroup>('POST', '/Groups?excludedAttributes=members', { body })
    return withVersion(created.body, created.etag)
  }

  /** Renames a group read at `version`; answers the new version. */
  async renameGroup (id: string, version: string, displayName: string): Promise<string> {
    return await this.patchGroup(id, version, [{ op: 'replace', path: 'displayName', value: displayName }])
  }

  async addMembers (id: string, version: string, userIds: readonly string[]): Promise<string> {
    return await this.patchGroup(id, version, [{ op: 'add', path: 'members', value: userIds.map(value => ({ value })) }])
  }

  async removeMembers (id: string, version: string, userIds: readonly string[]): Promise<string> {
    return await this.patchGroup(id, version, [{ op: 'remove', path: membersPath(userIds) }])
  }

  async deleteGroup (id: string, version: string): Promise<void> {
    await this.send('DELETE', `/Groups/${encodeURIComponent(id)}`, { ifMatch: version })
  }

  /** Users matching a filter, with their groups when asked for. */
  async listUsers (filter: Filter | undefined, page: PageRequest, options: { withGroups?: boolean } = {}): Promise<ListPage<ScimUser>> {
    const attributes = options.withGroups === true ? `${USER_ATTRIBUTES},groups` : USER_ATTRIBUTES
    return await this.list<ScimUser>('/Users', { filter, attributes, ...pageParams(page) })
  }

  /** A group's members, a page at a time from the server (never the whole list). */
  async listMembers (groupId: string, page: PageRequest): Promise<ListPage<ScimUser>> {
    return await this.listUsers(eq('groups.value', groupId), page)
  }

  /** Customer users matching a search who are not in the group (when one is given). */
  async listAssignable (search: Filter | undefined, notInGroup: string | undefined, page: PageRequest): Promise<ListPage<ScimUser>> {
    const outside = notInGroup === undefined ? undefined : not(eq('groups.value', notInGroup))
    return await this.listUsers(and(eq('userType', 'customer'), outside, search), page)
  }

  /** Users matching a search who cannot be members (not customers), to show why. */
  async listNotAssignable (search: Filter, count: number): Promise<ListPage<ScimUser>> {
    return await this.listUsers(and(not(eq('userType', 'customer')), search), { count })
  }

  private async patchGroup (id: string, version: string, operations: readonly object[]): Promise<string> {
    const body = { schemas: [PATCH_SCHEMA], Operations: operations }
    const { etag } = await this.send('PATCH', `/Groups/${encodeURIComponent(id)}`, { body, ifMatch: version })
    if (etag === undefined) throw new ScimApiError(0, undefined, 'The service did not say which version the change made.')
    return etag
  }

  private async list<T> (path: string, params: Record<string, string | undefined>): Promise<ListPage<T>> {
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value)
    const { body } = await this.send<{ totalResults: number, Resources?: T[], nextCursor?: string, previousCursor?: string }>('GET', `${path}?${query.toString()}`)
    return {
      totalResults: body.totalResults,
      resources: body.Resources ?? [],
      ...(body.nextCursor !== undefined ? { nextCursor: body.nextCursor } : {}),
      ...(body.previousCursor !== undefined ? { previousCursor: body.previousCursor } : {})
    }
  }

  private async send<T = unknown> (method: string, path: string, options: { body?: unknown, ifMatch?: string } = {}): Promise<{ body: T, etag: string | undefined }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: SCIM_JSON }
    if (options.body !== undefined) headers['Content-Type'] = SCIM_JSON
    if (options.ifMatch !== undefined) headers['If-Match'] = options.ifMatch
    const init: RequestInit = {
      method, headers, cache: 'no-store', credentials: 'omit',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {})
    }
    let response = await withSlot(async () => await reach(BASE + path, init))
    for (let retry = 0; response.status === 429 && retry < RETRIES_AFTER_429; retry++) {
      await new Promise(resolve => setTimeout(resolve, retryDelayMs(response)))
      response = await withSlot(async () => await reach(BASE + path, init))
    }
    const etag = response.headers.get('ETag') ?? undefined
    if (response.status === 204) return { body: undefined as T, etag }
    const text = await response.text()
    const parsed = parseJson(text)
    if (response.ok) return { body: parsed as T, etag }
    if (response.status === 401) this.onUnauthorized()
    throw toError(response.status, parsed)
  }
}

async function reach (url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init)
  } catch {
    throw new ScimApiError(0, undefined, 'The service could not be reached. Check the connection and try again.')
  }
}

function pageParams (page: PageRequest): Record<string, string> {
  return { cursor: page.cursor ?? '', count: String(page.count) }
}

function withVersion (group: ScimGroup, etag: string | undefined): ScimGroup {
  return etag === undefined ? group : { ...group, meta: { ...group.meta, version: etag } }
}

function parseJson (text: string): unknown {
  try { return text === '' ? undefined : JSON.parse(text) } catch { return undefined }
}

function toError (status: number, body: unknown): ScimApiError {
  const error = (typeof body === 'object' && body !== null ? body : {}) as { scimType?: unknown, detail?: unknown }
  const detail = typeof error.detail === 'string' && error.detail !== '' ? error.detail : `The service answered ${status}.`
  return new ScimApiError(status, typeof error.scimType === 'string' ? error.scimType : undefined, detail)
}
