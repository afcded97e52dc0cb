/**
 * Start-up against a database that is not up yet (a fresh deployment, a failover): retry with
 * exponential back-off up to a deadline, one short line per attempt, then give up with one
 * clear message. Errors that waiting cannot fix (bad password, unknown database) fail at once.
 */
import { checkDatabase, type Db } from './database.js'
import { classifyDatabaseFailure, describeDatabaseFailure } from './database-errors.js'

export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError'
}

export interface WaitOptions {
  readonly deadlineMs: number
  /** Per attempt. */
  readonly attemptTimeoutMs: number
  readonly log: (line: string) => void
  readonly firstDelayMs?: number
  readonly maxDelayMs?: number
}

export async function waitForDatabase (db: Db, options: WaitOptions): Promise<void> {
  const started = Date.now()
  let delay = options.firstDelayMs ?? 250
  for (let attempt = 1; ; attempt++) {
    try {
      await checkDatabase(db, options.attemptTimeoutMs)
      if (attempt > 1) options.log(`The database is reachable (after ${attempt} attempts).`)
      return
    } catch (error) {
      const reason = describeDatabaseFailure(error)
      if (classifyDatabaseFailure(error) === undefined) throw new DatabaseUnreachableError(`The database refused the connection: ${reason}`)
      const elapsed = Date.now() - started
      if (elapsed + delay > options.deadlineMs) {
        throw new DatabaseUnreachableError(
          `The database was not reachable within ${Math.round(options.deadlineMs / 1000)} s (DATABASE_STARTUP_TIMEOUT_MS): ${reason}`
        )
      }
      options.log(`Waiting for the database (${reason}); attempt ${attempt + 1} in ${delay} ms.`)
      await new Promise(resolve => setTimeout(resolve, delay))
      delay = Math.min(delay * 2, options.maxDelayMs ?? 5000)
    }
  }
}
