/**
 * Retention: events older than EVENT_RETENTION_DAYS are deleted by the service itself, in
 * batches of PRUNE_BATCH oldest-first with a pause between batches, so no statement holds
 * many row locks or runs long next to the requests. Every instance prunes (an hour apart
 * each); running on several at once only means their batches take turns.
 */
import type { Db } from '../db/database.js'
import { pruneEvents } from '../repositories/event.repository.js'

export const PRUNE_BATCH = 1000
const PRUNE_PAUSE_MS = 50
const PRUNE_INTERVAL_MS = 3_600_000
/** The first pass runs shortly after start, not during it. */
const FIRST_PRUNE_DELAY_MS = 30_000
const DAY_MS = 86_400_000

/** Deletes every event older than `retentionDays` before `now`, batch by batch; returns how many. */
export async function pruneExpiredEvents (
  db: Db, retentionDays: number, options: { now?: Date, batch?: number, stopped?: () => boolean } = {}
): Promise<number> {
  const before = new Date((options.now ?? new Date()).getTime() - retentionDays * DAY_MS)
  const batch = options.batch ?? PRUNE_BATCH
  let total = 0
  for (;;) {
    const deleted = await pruneEvents(db, before, batch)
    total += deleted
    if (deleted < batch || options.stopped?.() === true) return total
    await new Promise(resolve => setTimeout(resolve, PRUNE_PAUSE_MS))
  }
}

export interface EventPruner { stop (): Promise<void> }

/** Prunes now and then every hour until stopped; failures are reported and retried next time. */
export function startEventPruning (db: Db, retentionDays: number, report: { pruned (count: number): void, failed (error: unknown): void }): EventPruner {
  let stopped = false
  let running: Promise<void> = Promise.resolve()
  const run = (): void => {
    running = pruneExpiredEvents(db, retentionDays, { stopped: () => stopped })
      .then(count => { if (count > 0) report.pruned(count) }, (error: unknown) => { if (!stopped) report.failed(error) })
  }
  const first = setTimeout(run, FIRST_PRUNE_DELAY_MS)
  const every = setInterval(run, PRUNE_INTERVAL_MS)
  first.unref()
  every.unref()
  return {
    async stop () {
      stopped = true
      clearTimeout(first)
      clearInterval(every)
      await running
    }
  }
}
