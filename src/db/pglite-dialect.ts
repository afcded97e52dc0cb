/**
 * A Kysely dialect for embedded Postgres (PGlite). PGlite is one Postgres backend in this
 * process, i.e. a single connection: the driver hands it out to one query or transaction at
 * a time and queues the rest, which gives the same isolation a pooled connection would.
 * SQL generation is Kysely's Postgres compiler, so both modes run the same SQL.
 */
import type { PGlite, Results } from '@electric-sql/pglite'
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings
} from 'kysely'

function lastResult (results: Array<Results<unknown>>): Results<unknown> {
  return results[results.length - 1] ?? { rows: [], fields: [] }
}

class PGliteConnection implements DatabaseConnection {
  constructor (private readonly pglite: PGlite) {}

  async executeQuery<R> (query: CompiledQuery): Promise<QueryResult<R>> {
    // Without parameters use the simple protocol, which (like pg) allows several statements
    // in one text: migrations are whole SQL files.
    const result = query.parameters.length === 0
      ? lastResult(await this.pglite.exec(query.sql)) as Results<R>
      : await this.pglite.query<R>(query.sql, [...query.parameters])
    const affected = result.affectedRows
    return {
      rows: result.rows,
      ...(affected !== undefined && query.query.kind !== 'SelectQueryNode' ? { numAffectedRows: BigInt(affected) } : {})
    }
  }

  // eslint-disable-next-line require-yield
  async * streamQuery<R> (): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not supported on embedded Postgres; page with keyset queries instead.')
  }
}

/** A FIFO mutex: the single connection goes to one holder at a time. */
class ConnectionQueue {
  private tail: Promise<void> = Promise.resolve()

  acquire (): Promise<() => void> {
    let release!: () => void
    const next = new Promise<void>(resolve => { release = resolve })
    const ready = this.tail.then(() => release)
    this.tail = this.tail.then(() => next)
    return ready
  }
}

class PGliteDriver implements Driver {
  private readonly queue = new ConnectionQueue()
  private readonly connection: PGliteConnection
  private readonly releases = new Map<DatabaseConnection, Array<() => void>>()

  constructor (private readonly pglite: PGlite, private readonly onDestroy: () => Promise<void>) {
    this.connection = new PGliteConnection(pglite)
  }

  async init (): Promise<void> {
    await this.pglite.waitReady
  }

  async acquireConnection (): Promise<DatabaseConnection> {
    const release = await this.queue.acquire()
    const pending = this.releases.get(this.connection) ?? []
    pending.push(release)
    this.releases.set(this.connection, pending)
    return this.connection
  }

  async beginTransaction (connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel !== undefined ? ` isolation level ${settings.isolationLevel}` : ''
    const access = settings.accessMode !== undefined ? ` ${settings.accessMode}` : ''
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}${access}`))
  }

  async commitTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'))
  }

  async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async releaseConnection (connection: DatabaseConnection): Promise<void> {
    this.releases.get(connection)?.shift()?.()
  }

  async destroy (): Promise<void> {
    await this.onDestroy()
  }
}

export class PGliteDialect implements Dialect {
  constructor (private readonly pglite: PGlite, private readonly onDestroy: () => Promise<void> = async () => { await pglite.close() }) {}

  createAdapter (): PostgresAdapter { return new PostgresAdapter() }
  createDriver (): Driver { return new PGliteDriver(this.pglite, this.onDestroy) }
  createQueryCompiler (): PostgresQueryCompiler { return new PostgresQueryCompiler() }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector (db: Kysely<any>): PostgresIntrospector { return new PostgresIntrospector(db) }
}
