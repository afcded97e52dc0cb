/**
 * A read snapshot that outlives the service call: a REPEATABLE READ, READ ONLY transaction
 * whose connection stays checked out of the pool until `release` (end of the response, an
 * error, or the client going away). Everything a streamed response reads (the resource row,
 * then its members or groups in keyset pages, each a short statement) sees one state of the
 * database, so a streamed list matches the `meta.version` and ETag sent before it.
 *
 * The cost is one pooled connection per streaming response for as long as the client takes
 * to read it; a client that stops reading is cut off by the server's socket timeout, which
 * releases the snapshot too.
 */
import type { ControlledTransaction } from 'kysely'
import type { Db } from '../db/database.js'
import type { Database } from '../db/schema.js'

export interface ReadSnapshot {
  readonly trx: Db
  /** True once released: a page read after that is an error, never a shorter list. */
  readonly released: boolean
  /** Ends the transaction and returns the connection; idempotent, never throws. */
  release (): Promise<void>
}

export async function openReadSnapshot (db: Db): Promise<ReadSnapshot> {
  const trx: ControlledTransaction<Database> = await db.startTransaction()
    .setIsolationLevel('repeatable read').setAccessMode('read only').execute()
  let released: Promise<void> | undefined
  return {
    trx,
    get released () { return released !== undefined },
    // Rollback of a read-only transaction; Kysely hands the connection back even when the
    // rollback fails (a broken connection), and there is nothing left to undo.
    release: async () => { await (released ??= trx.rollback().execute().catch(() => {})) }
  }
}

/** Runs `work` in a snapshot that is released if it throws (before anything was streamed). */
export async function withReadSnapshot<T> (db: Db, work: (snapshot: ReadSnapshot) => Promise<T>): Promise<T> {
  const snapshot = await openReadSnapshot(db)
  try {
    return await work(snapshot)
  } catch (error) {
    await snapshot.release()
    throw error
  }
}

export class SnapshotReleasedError extends Error {
  override name = 'SnapshotReleasedError'
  constructor () { super('The read snapshot was released while a response was still being read from it.') }
}
