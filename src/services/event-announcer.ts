/**
 * Announces that an organization has new events once the request that recorded them has
 * finished (committed): to this instance's streams and delivery at once, and to the other
 * instances by a Postgres notification on `scim_events`, sent outside the writers'
 * transactions (migration 0009 says why) and coalesced: one statement per ANNOUNCE_DELAY_MS
 * carries every organization that changed meanwhile.
 *
 * Only a signal: waiters read the event table, and poll it anyway, so a notification lost to
 * a crash between commit and announcement costs at most EVENTS_POLL_INTERVAL_MS, never an
 * event. Announcing an organization that changed nothing (a write that failed) only wakes
 * readers that then find nothing new.
 */
import type { EventWakeups } from './event-wakeups.js'

/** How long changes are gathered before one notification statement announces them. */
export const ANNOUNCE_DELAY_MS = 5

export type SendAnnouncement = (organizationIds: readonly string[]) => Promise<void>

export class EventAnnouncer {
  readonly #pending = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> = Promise.resolve()

  /** Without `send` (embedded Postgres: one process), only this instance's waiters are woken. */
  constructor (
    private readonly wakeups: EventWakeups,
    private readonly send: SendAnnouncement | undefined,
    private readonly onError: (error: unknown) => void = () => {}
  ) {}

  changed (organizationId: string): void {
    this.wakeups.notify(organizationId)
    if (this.send === undefined) return
    this.#pending.add(organizationId)
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => { void this.flush() }, ANNOUNCE_DELAY_MS)
      this.#timer.unref()
    }
  }

  /** Sends what is pending now (shutdown calls it before the pool closes). */
  async flush (): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const send = this.send
    if (send === undefined || this.#pending.size === 0) return await this.#sending
    const organizationIds = [...this.#pending]
    this.#pending.clear()
    this.#sending = this.#sending.then(async () => { await send(organizationIds) }).catch(this.onError)
    await this.#sending
  }
}
