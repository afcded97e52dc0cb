/**
 * SQL for the change feed. Events are written only through scim_record_event (migration
 * 0010: the event rows, numbered internally by `seq`) and, for member changes of up to 1 000
 * ids, by scim_change_group_members_recorded itself (migration 0012), given their feed position after they
 * commit by scim_position_events (which also queues their deliveries), and read in pages of
 * `position` per organization: every query is scoped by organization.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

type Executor = Kysely<Database>

/** Notified (payload: the organization id) when an organization's feed advances (scim_position_events). */
export const EVENT_CHANGES_CHANNEL = 'scim_events'

export interface PositionedBatch {
  readonly positioned: number
  readonly organizationIds: readonly string[]
}

/**
 * Gives up to `limit` committed events their feed positions (oldest first) in one
 * transaction of its own, queues their deliveries and notifies their organizations.
 */
export async function positionEvents (db: Executor, limit: number): Promise<PositionedBatch> {
  const result = await sql<{ positioned: number, organization_ids: string[] }>`select positioned, organization_ids::text[] as organization_ids from scim_position_events(${limit}::int)`.execute(db)
  const row = result.rows[0]
  return { positioned: row?.positioned ?? 0, organizationIds: row?.organization_ids ?? [] }
}

export type EventResourceType = 'User' | 'Group'
export type EventOperation = 'create' | 'replace' | 'patch' | 'delete'

/** Who made a change: the API token and the request (undefined fields are stored as null). */
export interface EventActor {
  readonly tokenId?: string
  readonly tokenLabel?: string | null
  readonly requestId?: string
}

export interface NewEvent {
  readonly organizationId: string
  readonly resourceType: EventResourceType
  readonly resourceId: string
  readonly operation: EventOperation
  readonly version: number | null
  readonly attributes: readonly string[]
  readonly membersAdded?: readonly string[]
  readonly membersRemoved?: readonly string[]
  readonly actor: EventActor | undefined
}

export interface EventRecord {
  readonly organizationId: string
  /** The internal number (bigint as a decimal string): the key of deliveries. */
  readonly seq: string
  /** The place in the organization's feed (bigint as a decimal string, beyond 2^53 in principle). */
  readonly position: string
  readonly occurredAt: Date
  readonly resourceType: EventResourceType
  readonly resourceId: string
  readonly operation: EventOperation
  readonly version: number | null
  readonly attributes: readonly string[]
  readonly membersAdded: readonly string[]
  readonly membersRemoved: readonly string[]
  readonly actorTokenId: string | null
  readonly actorLabel: string | null
  readonly requestId: string | null
}

/** Records one event inside the caller's transaction; returns its internal number. */
export async function insertEvent (db: Executor, event: NewEvent): Promise<string> {
  const actor = event.actor ?? {}
  const result = await sql<{ seq: string }>`select scim_record_event(
    ${event.organizationId}::uuid, ${event.resourceType}, ${event.resourceId}::uuid, ${event.operation}, ${event.version}::int,
    ${[...event.attributes]}::text[], ${[...(event.membersAdded ?? [])]}::uuid[], ${[...(event.membersRemoved ?? [])]}::uuid[],
    ${actor.tokenId ?? null}::uuid, ${actor.tokenLabel ?? null}::text, ${actor.requestId ?? null}::text
  )::text as seq`.execute(db)
  const seq = result.rows[0]?.seq
  if (seq === undefined) throw new Error('scim_record_event returned no row')
  return seq
}

export interface EventPageQuery {
  /** Exclusive lower bound on the position ('0' for the beginning). */
  readonly after: string
  readonly limit: number
  readonly resourceType?: EventResourceType
  readonly resourceId?: string
}

const COLUMNS = [
  'organization_id', sql<string>`seq::text`.as('seq'), sql<string>`position::text`.as('position'), 'occurred_at', 'resource_type', 'resource_id', 'operation', 'resource_version',
  'attributes', 'members_added', 'members_removed', 'actor_token_id', 'actor_label', 'request_id'
] as const

function toEventRecord (row: {
  organization_id: string, seq: string, position: string, occurred_at: Date, resource_type: string, resource_id: string, operation: string,
  resource_version: number | null, attributes: string[], members_added: string[], members_removed: string[],
  actor_token_id: string | null, actor_label: string | null, request_id: string | null
}): EventRecord {
  return {
    organizationId: row.organization_id,
    seq: row.seq,
    position: row.position,
    occurredAt: new Date(row.occurred_at),
    resourceType: row.resource_type as EventResourceType,
    resourceId: row.resource_id,
    operation: row.operation as EventOperation,
    version: row.resource_version,
    attributes: row.attributes,
    membersAdded: row.members_added,
    membersRemoved: row.members_removed,
    actorTokenId: row.actor_token_id,
    actorLabel: row.actor_label,
    requestId: row.request_id
  }
}

/**
 * One page in feed order: the position index (or the resource's) from `after` on. Events not
 * positioned yet are not in the feed (their null position is never greater than `after`).
 */
export async function listEvents (db: Executor, organizationId: string, query: EventPageQuery): Promise<EventRecord[]> {
  let select = db.selectFrom('events').select(COLUMNS)
    .where('organization_id', '=', organizationId)
    .where('position', '>', sql<string>`${query.after}::bigint`)
  if (query.resourceType !== undefined) select = select.where('resource_type', '=', query.resourceType)
  if (query.resourceId !== undefined) select = select.where('resource_id', '=', query.resourceId)
  // The table's bigint, not the text alias of the select list (which would sort 10 before 9).
  const rows = await select.orderBy('events.position').limit(query.limit).execute()
  return rows.map(toEventRecord)
}

/** Events by internal number (several organizations'), for delivery: exactly these. */
export async function findEvents (db: Executor, keys: ReadonlyArray<{ organizationId: string, seq: string }>): Promise<EventRecord[]> {
  if (keys.length === 0) return []
  const result = await sql<Parameters<typeof toEventRecord>[0]>`
    select e.organization_id, e.seq::text as seq, e.position::text as position, e.occurred_at, e.resource_type, e.resource_id, e.operation, e.resource_version,
      e.attributes, e.members_added, e.members_removed, e.actor_token_id, e.actor_label, e.request_id
    from unnest(${keys.map(key => key.organizationId)}::uuid[], ${keys.map(key => key.seq)}::bigint[]) as k(organization_id, seq)
    join events e on e.organization_id = k.organization_id and e.seq = k.seq`.execute(db)
  return result.rows.map(toEventRecord)
}

/**
 * Deletes up to `limit` events older than `before` (oldest first) and returns how many: the
 * caller repeats until fewer come back, so no statement holds locks for long.
 */
export async function pruneEvents (db: Executor, before: Date, limit: number): Promise<number> {
  const result = await sql`
    delete from events e using (
      select organization_id, seq from events where occurred_at < ${before} order by occurred_at limit ${limit}
    ) old
    where e.organization_id = old.organization_id and e.seq = old.seq`.execute(db)
  return Number(result.numAffectedRows ?? 0n)
}
