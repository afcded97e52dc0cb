/**
 * Gives committed events their feed positions (scim_position_events, migration 0010) and
 * wakes whoever waits for them: this instance's streams and delivery at once, other instances
 * by the notification the positioning transaction sends as it commits.
 *
 * When it runs:
 *  - soon after this instance answered a write (`soon`: one pass per POSITION_DELAY_MS at
 *    most, whatever the number of writes meanwhile);
 *  - before a page of the feed is read (`run`), so a client that reads after its write
 *    answered finds the write's event, whichever instance it asks;
 *  - every EVENTS_POLL_INTERVAL_MS (`startSweeping`), for events whose writer went away
 *    between its commit and its pass (a crash): any instance positions them.
 * Passes of one instance run one after another; those of several instances take turns on
 * Postgres' advisory lock, so each does only what the others left.
 */
import type { Db } from '../db/database.js'
import { positionEvents } from '../repositories/event.repository.js'
import type { EventWakeups } from './event-wakeups.js'

/**
 * How long writes are gathered before one pass positions their events: the longest a stream
 * or a receiver waits for an event beyond its commit (a feed read never waits: it runs a pass
 * first). Each pass is a transaction with an advisory lock and a notification; at 5 ms, under
 * a thousand writes a second, passes took about a quarter of the service's CPU per write.
 */
export const POSITION_DELAY_MS = 25
/** Events per statement: a pass repeats while a full batch came back. */
export const POSITION_BATCH = 1000

export class EventPositioner {
  #current: Promise<void> | undefined
  #next: Promise<void> | undefined
  #timer: NodeJS.Timeout | undefined
  #sweeper: NodeJS.Timeout | undefined
  #stopped = false
  #onError: (error: unknown) => void = () => {}

  constructor (private readonly db: Db, private readonly wakeups: EventWakeups) {}

  /** Where failed passes that nobody awaits are reported (the application's log). */
  reportErrorsTo (onError: (error: unknown) => void): void {
    this.#onError = onError
  }

  /** A write committed: position its events within POSITION_DELAY_MS. */
  soon (): void {
    if (this.#timer !== undefined || this.#stopped) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.run().catch(this.#onError)
    }, POSITION_DELAY_MS)
    this.#timer.unref()
  }

  /**
   * Resolves once a pass that began after this call has finished: every event committed
   * before the call then has its position. Callers that arrive during a pass share the one
   * after it.
   */
  async run (): Promise<void> {
    if (this.#current === undefined) return await this.#start()
    this.#next ??= this.#current.catch(() => {}).then(async () => {
      this.#next = undefined
      await this.#start()
    })
    return await this.#next
  }

  /**
   * For readers: a pass as `run`, but a failed one is reported and not thrown. The feed stays
   * complete without it (events still waiting are read after their pass, at the next
   * page); one organization's read must not fail because the shared pass did.
   */
  async runForReader (): Promise<void> {
    await this.run().catch(this.#onError)
  }

  /** Passes every `intervalMs` from now on; failures (the database away) are reported. */
  startSweeping (intervalMs: number): void {
    this.stopSweeping()
    this.#sweeper = setInterval(() => { this.run().catch(this.#onError) }, intervalMs)
    this.#sweeper.unref()
  }

  /**
   * Stops the sweeps and positions what this instance's last writes committed (before the
   * pool closes). A failure here loses nothing: the next pass of any instance does it.
   */
  async stop (): Promise<void> {
    this.#stopped = true
    this.stopSweeping()
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.run().catch(this.#onError)
  }

  private stopSweeping (): void {
    clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  async #start (): Promise<void> {
    const pass = this.#pass()
    this.#current = pass
    try {
      await pass
    } finally {
      if (this.#current === pass) this.#current = undefined
    }
  }

  async #pass (): Promise<void> {
    for (;;) {
      const batch = await positionEvents(this.db, POSITION_BATCH)
      for (const organizationId of batch.organizationIds) this.wakeups.notify(organizationId)
      if (batch.positioned < POSITION_BATCH) return
    }
  }
}
