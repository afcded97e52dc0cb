/**
 * The change feed as clients read it (GET /api/v1/events and its stream): pages of an
 * organization's events in sequence order after an opaque cursor. A cursor names a position
 * in one organization's sequence; it is opaque so that its form can change, and a cursor of
 * another organization only names a position, never reveals or reaches its events (every
 * read is scoped by the token's organization).
 *
 * Completeness: an event enters the feed when it is given its position, after its commit,
 * by one positioning transaction at a time (migration 0010), each continuing the
 * organization's numbers where the previous one stopped; so a page read after a cursor never
 * skips an event that shows up later. A page is read after a positioning pass that began
 * after the request arrived, so a write that has answered is in the feed of every instance.
 */
import type { Db } from '../db/database.js'
import { listEvents, type EventRecord, type EventResourceType } from '../repositories/event.repository.js'
import { ScimError } from '../scim/errors.js'
import type { EventPositioner } from './event-positioner.js'

export const DEFAULT_EVENT_PAGE = 100
export const MAX_EVENT_PAGE = 500
const CURSOR_PREFIX = 'ev1.'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** One change as the API shows it. */
export interface ChangeEvent {
  readonly cursor: string
  readonly sequence: string
  readonly time: string
  readonly resourceType: EventResourceType
  readonly resourceId: string
  readonly operation: string
  /** The resource's ETag after the change (meta.version); absent after a delete. */
  readonly version?: string
  readonly attributes: readonly string[]
  readonly members?: { readonly added: readonly string[], readonly removed: readonly string[] }
  readonly actor: { readonly tokenId: string | null, readonly label: string | null }
  readonly requestId: string | null
}

export interface EventPageInput {
  readonly after?: string
  readonly resourceType?: EventResourceType
  readonly resourceId?: string
  readonly limit?: number
}

export interface EventPage {
  readonly events: ChangeEvent[]
  /** Where the next page starts: the last event's cursor, or the cursor given when none came. */
  readonly nextCursor: string
  /** True when the page was full: more events may follow at once. */
  readonly hasMore: boolean
}

export function encodeEventCursor (seq: string): string {
  return Buffer.from(CURSOR_PREFIX + seq, 'utf8').toString('base64url')
}

/** The sequence number a cursor names; 400 invalidCursor for anything else. */
export function decodeEventCursor (cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  const seq = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : ''
  if (!/^(0|[1-9][0-9]{0,17})$/.test(seq)) throw ScimError.invalidCursor('The cursor is not one this service issued (take it from nextCursor or an event id).')
  return seq
}

export function toChangeEvent (record: EventRecord): ChangeEvent {
  return {
    cursor: encodeEventCursor(record.position),
    sequence: record.position,
    time: record.occurredAt.toISOString(),
    resourceType: record.resourceType,
    resourceId: record.resourceId,
    operation: record.operation,
    ...(record.version !== null ? { version: `W/"${record.version}"` } : {}),
    attributes: record.attributes,
    ...(record.resourceType === 'Group' ? { members: { added: record.membersAdded, removed: record.membersRemoved } } : {}),
    actor: { tokenId: record.actorTokenId, label: record.actorLabel },
    requestId: record.requestId
  }
}

export interface EventFilter {
  readonly resourceType?: EventResourceType
  readonly resourceId?: string
}

/** Validates the filter parameters (the id must be one this service could have issued). */
export function readEventFilter (input: EventPageInput): EventFilter {
  if (input.resourceId !== undefined && !UUID.test(input.resourceId)) {
    throw ScimError.invalidValue(`resourceId ${JSON.stringify(input.resourceId)} is not a resource id (ids are UUIDs).`)
  }
  return {
    ...(input.resourceType !== undefined ? { resourceType: input.resourceType } : {}),
    ...(input.resourceId !== undefined ? { resourceId: input.resourceId.toLowerCase() } : {})
  }
}

export class EventFeedService {
  constructor (private readonly db: Db, private readonly positioner: EventPositioner) {}

  async page (organizationId: string, input: EventPageInput): Promise<EventPage> {
    const filter = readEventFilter(input)
    const after = input.after === undefined ? '0' : decodeEventCursor(input.after)
    const limit = Math.min(Math.max(input.limit ?? DEFAULT_EVENT_PAGE, 1), MAX_EVENT_PAGE)
    await this.positioner.runForReader()
    const records = await this.read(organizationId, after, limit, filter)
    const last = records[records.length - 1]
    return {
      events: records.map(toChangeEvent),
      nextCursor: encodeEventCursor(last?.position ?? after),
      hasMore: records.length === limit
    }
  }

  /** Positioned records after `after` (a position), in order. */
  async read (organizationId: string, after: string, limit: number, filter: EventFilter): Promise<EventRecord[]> {
    return await listEvents(this.db, organizationId, { after, limit, ...filter })
  }

  /** The organization's latest position ('0' before its first event): a stream without a cursor starts after it. */
  async latest (organizationId: string): Promise<string> {
    // After a pass, so that a write that answered before the stream was asked for is history.
    await this.positioner.runForReader()
    const row = await this.db.selectFrom('event_sequences').select(eb => eb.cast<string>('last_seq', 'text').as('seq'))
      .where('organization_id', '=', organizationId).executeTakeFirst()
    return row?.seq ?? '0'
  }
}
