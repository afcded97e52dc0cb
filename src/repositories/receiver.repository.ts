/**
 * SQL for push receivers and their delivery queue (migration 0007). Scoped by organization
 * wherever an organization's administrator acts; the delivery worker serves all of them.
 */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

type Executor = Kysely<Database>

export interface ReceiverRecord {
  readonly id: string
  readonly organizationId: string
  readonly url: string
  readonly audience: string | null
  readonly state: 'active' | 'failing'
  readonly createdAt: Date
  readonly failingSince: Date | null
  readonly lastError: string | null
  /** Deliveries waiting (pending) and refused by the receiver (rejected). */
  readonly pending: number
  readonly rejected: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function toReceiver (row: {
  id: string, organization_id: string, url: string, audience: string | null, state: string, created_at: Date,
  failing_since: Date | null, last_error: string | null, pending: number | string, rejected: number | string
}): ReceiverRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    url: row.url,
    audience: row.audience,
    state: row.state as ReceiverRecord['state'],
    createdAt: new Date(row.created_at),
    failingSince: row.failing_since === null ? null : new Date(row.failing_since),
    lastError: row.last_error,
    pending: Number(row.pending),
    rejected: Number(row.rejected)
  }
}

function selectReceivers (db: Executor) {
  return db.selectFrom('event_receivers as r').select([
    'r.id', 'r.organization_id', 'r.url', 'r.audience', 'r.state', 'r.created_at', 'r.failing_since', 'r.last_error',
    sql<number>`(select count(*) from event_deliveries d where d.receiver_id = r.id and d.state = 'pending')::int`.as('pending'),
    sql<number>`(select count(*) from event_deliveries d where d.receiver_id = r.id and d.state = 'rejected')::int`.as('rejected')
  ])
}

export async function insertReceiver (db: Executor, organizationId: string, url: string, audience: string | null): Promise<ReceiverRecord> {
  const row = await db.insertInto('event_receivers').values({ organization_id: organizationId, url, audience }).returning('id').executeTakeFirstOrThrow()
  return await findReceiver(db, organizationId, row.id) as ReceiverRecord
}

/** `organizationId` undefined: any organization's (the admin command). */
export async function findReceiver (db: Executor, organizationId: string | undefined, id: string): Promise<ReceiverRecord | undefined> {
  if (!UUID.test(id)) return undefined
  let query = selectReceivers(db).where('r.id', '=', id)
  if (organizationId !== undefined) query = query.where('r.organization_id', '=', organizationId)
  const row = await query.executeTakeFirst()
  return row && toReceiver(row)
}

export async function listReceivers (db: Executor, organizationId: string | undefined): Promise<ReceiverRecord[]> {
  let query = selectReceivers(db)
  if (organizationId !== undefined) query = query.where('r.organization_id', '=', organizationId)
  return (await query.orderBy('r.created_at').orderBy('r.id').execute()).map(toReceiver)
}

export async function deleteReceiver (db: Executor, organizationId: string | undefined, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false
  let query = db.deleteFrom('event_receivers').where('id', '=', id)
  if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId)
  return (await query.executeTakeFirst()).numDeletedRows > 0n
}

/** Active again, and every waiting delivery due now with its attempts counted afresh. */
export async function enableReceiver (db: Executor, organizationId: string | undefined, id: string): Promise<boolean> {
  if (!UUID.test(id)) return false
  return await db.transaction().execute(async trx => {
    let query = trx.updateTable('event_receivers').set({ state: 'active', failing_since: null }).where('id', '=', id)
    if (organizationId !== undefined) query = query.where('organization_id', '=', organizationId)
    const updated = await query.executeTakeFirst()
    if (updated.numUpdatedRows === 0n) return false
    await trx.updateTable('event_deliveries').set({ attempts: 0, next_attempt_at: sql`now()` })
      .where('receiver_id', '=', id).where('state', '=', 'pending').execute()
    return true
  })
}

export interface ClaimedDelivery {
  readonly receiverId: string
  readonly organizationId: string
  readonly seq: string
  readonly attempts: number
  readonly url: string
  readonly audience: string | null
}

/**
 * Claims up to `limit` due deliveries of active receivers for `leaseMs`: rows are picked with
 * FOR UPDATE SKIP LOCKED (rows another instance is claiming at that moment are skipped) and
 * their next_attempt_at moved to the end of the lease in the same statement, so no other
 * instance finds them due while this one pushes (the lease outlasts a push's deadline). Each
 * is the oldest pending delivery of its resource for its receiver, and a claimed delivery
 * stays pending, so a resource's later events wait until it is done: in order per resource.
 * If the claimer dies, the lease runs out and another instance pushes it (at least once).
 */
export async function claimDeliveries (db: Executor, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const result = await sql<{ receiver_id: string, organization_id: string, seq: string, attempts: number, url: string, audience: string | null }>`
    with due as (
      select d.receiver_id, d.seq
      from event_deliveries d
      join event_receivers r on r.id = d.receiver_id
      where d.state = 'pending' and d.next_attempt_at <= now() and r.state = 'active'
        and not exists (
          select 1 from event_deliveries earlier
          where earlier.receiver_id = d.receiver_id and earlier.resource_id = d.resource_id and earlier.state = 'pending' and earlier.seq < d.seq
        )
      order by d.next_attempt_at, d.seq
      limit ${limit}
      for update of d skip locked
    )
    update event_deliveries d set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
    from due, event_receivers r
    where d.receiver_id = due.receiver_id and d.seq = due.seq and r.id = d.receiver_id
    returning d.receiver_id, d.organization_id, d.seq::text as seq, d.attempts, r.url, r.audience`.execute(db)
  return result.rows.map(row => ({
    receiverId: row.receiver_id, organizationId: row.organization_id, seq: row.seq, attempts: row.attempts, url: row.url, audience: row.audience
  })).sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1))
}

/** A claim given back unused (shutdown): due again at once. */
export async function releaseDelivery (db: Executor, receiverId: string, seq: string): Promise<void> {
  await db.updateTable('event_deliveries').set({ next_attempt_at: sql`now()` })
    .where('receiver_id', '=', receiverId).where('seq', '=', sql<string>`${seq}::bigint`).execute()
}

/** Delivered: the row goes. */
export async function completeDelivery (db: Executor, receiverId: string, seq: string): Promise<void> {
  await db.deleteFrom('event_deliveries').where('receiver_id', '=', receiverId).where('seq', '=', sql<string>`${seq}::bigint`).execute()
}

/** Refused by the receiver for good (RFC 8935 §2.3 error): kept, with the receiver's reason. */
export async function rejectDelivery (db: Executor, receiverId: string, seq: string, error: string): Promise<void> {
  await db.updateTable('event_deliveries').set({ state: 'rejected', last_error: error, attempts: sql`attempts + 1` })
    .where('receiver_id', '=', receiverId).where('seq', '=', sql<string>`${seq}::bigint`).execute()
  await db.updateTable('event_receivers').set({ last_error: error }).where('id', '=', receiverId).execute()
}

/** A failed attempt: try again after `retryInMs`; `giveUp` marks the receiver failing. */
export async function failDelivery (db: Executor, receiverId: string, seq: string, error: string, retryInMs: number, giveUp: boolean): Promise<void> {
  await db.updateTable('event_deliveries')
    .set({ attempts: sql`attempts + 1`, last_error: error, next_attempt_at: sql`now() + ${retryInMs} * interval '1 millisecond'` })
    .where('receiver_id', '=', receiverId).where('seq', '=', sql<string>`${seq}::bigint`).execute()
  await db.updateTable('event_receivers')
    .set(giveUp ? { last_error: error, state: 'failing', failing_since: sql`now()` } : { last_error: error })
    .where('id', '=', receiverId).execute()
}
