/**
 * Push delivery (RFC 8935) of every event to the organization's receivers as signed SETs
 * (RFC 8417, RFC 9967). Every instance runs a worker; work is shared through the queue table:
 *
 * - A round claims due deliveries in one statement (FOR UPDATE SKIP LOCKED, and a lease that
 *   outlasts a push: receiver.repository.ts), pushes them outside any transaction (the pool
 *   and embedded Postgres' single connection stay free while a receiver is slow), and
 *   records each outcome. Two instances never push the same delivery at once, and more
 *   instances push more.
 * - Only the oldest pending delivery of a resource (per receiver) is due, so a receiver gets
 *   a resource's changes in order. A delivery is removed only after the receiver's 2xx; if
 *   the instance dies first, the lease runs out and it is pushed again (at least once; `jti`
 *   is stable, so receivers can drop repeats).
 * - A failure is retried after EVENT_DELIVERY_RETRY_BASE_MS, doubling up to an hour; after
 *   EVENT_DELIVERY_MAX_ATTEMPTS the receiver is marked failing and nothing more is pushed to
 *   it until it is enabled again (its queue is kept).
 * - The worker wakes on the same notifications as the streams, and polls every
 *   EVENTS_POLL_INTERVAL_MS otherwise (retries come due without a notification).
 */
import type { Db } from '../db/database.js'
import { findEvents, type EventRecord } from '../repositories/event.repository.js'
import {
  claimDeliveries, completeDelivery, failDelivery, rejectDelivery, releaseDelivery, type ClaimedDelivery
} from '../repositories/receiver.repository.js'
import { buildSetClaims, issuerOf } from '../scim/security-event.js'
import type { EventWakeups } from './event-wakeups.js'
import { pushSet, type PushOutcome } from './set-push.js'
import type { SigningKeyService } from './signing-keys.service.js'

const BATCH = 10
const MAX_RETRY_DELAY_MS = 3_600_000
/** A claim lasts a push's deadline and this much more. */
const LEASE_MARGIN_MS = 30_000

export interface DeliveryOptions {
  readonly publicBaseUrl: string
  readonly maxAttempts: number
  readonly retryBaseMs: number
  readonly timeoutMs: number
  readonly allowPrivate: boolean
  readonly pollIntervalMs: number
}

export interface DeliveryLog {
  delivered (delivery: ClaimedDelivery): void
  failed (delivery: ClaimedDelivery, outcome: PushOutcome, gaveUp: boolean): void
  crashed (error: unknown): void
}

/** The delay before attempt `attempts + 1`, after `attempts` failures. */
export function retryDelayMs (attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS)
}

export class EventDeliveryService {
  private controller: AbortController | undefined
  private loop: Promise<void> | undefined

  constructor (
    private readonly db: Db, private readonly keys: SigningKeyService, private readonly wakeups: EventWakeups,
    private readonly options: DeliveryOptions, private readonly log: DeliveryLog
  ) {}

  start (): void {
    if (this.loop !== undefined) return
    const controller = new AbortController()
    this.controller = controller
    this.loop = (async () => {
      while (!controller.signal.aborted) {
        try {
          if (await this.deliverDue(controller.signal) === 0) await this.wakeups.wait(undefined, this.options.pollIntervalMs, controller.signal)
        } catch (error) {
          if (controller.signal.aborted) return
          this.log.crashed(error)
          await this.wakeups.wait(undefined, this.options.pollIntervalMs, controller.signal)
        }
      }
    })()
  }

  /** Stops after aborting pushes in flight (their claims roll back: they go out again later). */
  async stop (): Promise<void> {
    this.controller?.abort()
    await this.loop
    this.loop = undefined
  }

  /** One round: claim, push, record. Returns how many deliveries it claimed. */
  async deliverDue (signal?: AbortSignal): Promise<number> {
    const claimed = await claimDeliveries(this.db, BATCH, this.options.timeoutMs + LEASE_MARGIN_MS)
    if (claimed.length === 0) return 0
    const events = new Map((await findEvents(this.db, claimed)).map(event => [`${event.organizationId}:${event.seq}`, event]))
    const failing = new Set<string>()
    // A function, not a narrowed property: the signal aborts while pushes are awaited.
    const stopped = (): boolean => signal?.aborted === true
    for (const delivery of claimed) {
      // Stopping, or a receiver that just failed (another attempt would be counted for nothing): due again now.
      if (stopped() || failing.has(delivery.receiverId)) {
        await releaseDelivery(this.db, delivery.receiverId, delivery.seq)
        continue
      }
      const event = events.get(`${delivery.organizationId}:${delivery.seq}`)
      // Pruned meanwhile: the delivery went with it (foreign key).
      if (event === undefined) continue
      const outcome = await pushSet(delivery.url, await this.sign(event, delivery), {
        timeoutMs: this.options.timeoutMs, allowPrivate: this.options.allowPrivate, ...(signal !== undefined ? { signal } : {})
      })
      if (outcome.kind === 'delivered') {
        await completeDelivery(this.db, delivery.receiverId, delivery.seq)
        this.log.delivered(delivery)
      } else if (stopped()) {
        await releaseDelivery(this.db, delivery.receiverId, delivery.seq)
      } else if (outcome.kind === 'rejected') {
        await rejectDelivery(this.db, delivery.receiverId, delivery.seq, outcome.error)
        this.log.failed(delivery, outcome, false)
      } else {
        const attempts = delivery.attempts + 1
        const giveUp = attempts >= this.options.maxAttempts
        await failDelivery(this.db, delivery.receiverId, delivery.seq, outcome.error, retryDelayMs(attempts, this.options.retryBaseMs), giveUp)
        failing.add(delivery.receiverId)
        this.log.failed(delivery, outcome, giveUp)
      }
    }
    return claimed.length
  }

  private async sign (event: EventRecord, delivery: ClaimedDelivery): Promise<string> {
    const claims = buildSetClaims({
      jti: event.position,
      resourceType: event.resourceType,
      resourceId: event.resourceId,
      operation: event.operation,
      version: event.version,
      attributes: event.attributes,
      occurredAt: event.occurredAt,
      requestId: event.requestId
    }, issuerOf(this.options.publicBaseUrl, event.organizationId), delivery.audience ?? delivery.url, new Date())
    return await this.keys.signSet(event.organizationId, claims)
  }
}
