/**
 * Opens the store: a pg pool when DATABASE_URL is set, otherwise embedded Postgres (PGlite)
 * persisted in DATA_DIR. Both are driven through Kysely with the Postgres dialect.
 *
 * A sick database must cost a request seconds, not minutes: every wait on the pool has a
 * deadline (connect, acquire, each query on the client side, each statement on the server
 * side). A frozen server cannot time out its own statements, hence the client-side query
 * timeout; the server-side one is shorter so that a merely slow statement is cancelled by
 * Postgres and its connection stays usable.
 */
import { Kysely, PostgresDialect, sql, type LogConfig } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.js'
import { lockDataDir } from './data-dir-lock.js'
import { listenPostgres, type ListenOptions, type Subscription } from './listener.js'
import { DatabaseTimeoutError, isQueryReadTimeout } from './database-errors.js'
import { PGliteDialect } from './pglite-dialect.js'
import { PreparedStatements } from './prepared-statements.js'
import { PG_TYPES } from './timestamps.js'
import type { Database } from './schema.js'
import type { Extensions } from '@electric-sql/pglite'

export type Db = Kysely<Database>

export interface PoolStats {
  /** Open connections (idle or checked out). */
  readonly total: number
  readonly idle: number
  /** Callers waiting for a connection. */
  readonly waiting: number
}

export interface DatabaseHandle {
  readonly db: Db
  readonly kind: 'postgres' | 'embedded'
  /** Connection pool figures (real Postgres only). */
  readonly stats?: () => PoolStats
  /** Closes the pool (or the embedded instance) and releases the data directory. */
  close (): Promise<void>
  /** Postgres LISTEN on a connection of its own; absent for embedded Postgres (one process, see listener.ts). */
  readonly listen?: (options: ListenOptions) => Subscription
}

export interface PostgresOptions {
  readonly poolSize: number
  /** Opening one connection (TCP and start-up); 0 waits forever. */
  readonly connectTimeoutMs: number
  /** Waiting for a pooled connection, opening included; 0 waits forever. */
  readonly acquireTimeoutMs: number
  /** Client side, per query: enforced even when the server is frozen; 0 is none. */
  readonly queryTimeoutMs: number
  /** Server side `statement_timeout`; 0 is none. */
  readonly statementTimeoutMs: number
  /** Named statements per connection (prepared-statements.ts); 0: every statement unnamed. */
  readonly preparedStatements: number
  /** Kysely's query log: sees every statement sent, compiled-once ones included (tests count them). */
  readonly log?: LogConfig
}

/** For tools, tests and migrations: a pool without deadlines on queries. */
const UNBOUNDED: PostgresOptions = { poolSize: 10, connectTimeoutMs: 0, acquireTimeoutMs: 0, queryTimeoutMs: 0, statementTimeoutMs: 0, preparedStatements: 0 }

export function servingPostgresOptions (config: Config): PostgresOptions {
  return {
    poolSize: config.databasePoolSize,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    acquireTimeoutMs: config.databaseAcquireTimeoutMs,
    queryTimeoutMs: config.databaseQueryTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    preparedStatements: config.databasePreparedStatements
  }
}

/** Migrations and admin commands: connect with a deadline, but let long statements run. */
export function maintenancePostgresOptions (config: Config): PostgresOptions {
  return { ...UNBOUNDED, poolSize: 2, connectTimeoutMs: config.databaseConnectTimeoutMs }
}

/**
 * A pg client that never leaves a connection in an unknown state: after a client-side query
 * timeout the query may still be running on (or stuck in) the server, so the socket is
 * destroyed and the pool opens a fresh one instead of queueing the next query behind it.
 * With `statements`, Kysely's hot queries go out as named statements (prepared-statements.ts).
 */
function guardedClientClass (connectTimeoutMs: number, statements: PreparedStatements | undefined): typeof pg.Client {
  return class GuardedClient extends pg.Client {
    /** Names this connection has been asked to prepare (pg itself tracks which it has). */
    readonly #prepared = new Set<string>()

    constructor (config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'object' ? config : {}), connectionTimeoutMillis: connectTimeoutMs })
      // A checked-out client whose connection drops emits 'error'; the query in flight gets
      // the error already, and without a listener the process would crash.
      this.on('error', () => {})
    }

    override query (...args: unknown[]): never {
      // Kysely calls query(text, values); anything else (pg-pool, LISTEN helpers) passes through.
      const [text, values] = args
      const name = statements !== undefined && args.length === 2 && typeof text === 'string' && Array.isArray(values)
        ? statements.nameFor(text, this.#prepared)
        : undefined
      const result = name === undefined ? (super.query as (...a: unknown[]) => unknown)(...args) : this.#named(name, text as string, values as unknown[])
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          if (!isQueryReadTimeout(error)) return
          // This handler runs before the caller's (it was attached first), so the pool sees
          // the client as unusable when it is released and drops it (pg-pool checks the flag).
          const self = this as unknown as { _queryable: boolean, connection: { stream: { destroy (): void } } }
          self._queryable = false
          self.connection.stream.destroy()
        })
      }
      return result as never
    }

    /**
     * A named statement, sent as a query object built from its text: pg copies a config object
     * given to query() property by property (Object.getOwnPropertyDescriptors), which cost more
     * than the rest of sending the query, on every statement.
     */
    #named (name: string, text: string, values: unknown[]): Promise<unknown> {
      const query = new pg.Query(text, values) as pg.Query & { name?: string, callback?: (error: Error | null, result: unknown) => void }
      query.name = name
      const result = new Promise((resolve, reject) => { query.callback = (error, answer) => { if (error === null || error === undefined) resolve(answer); else reject(error) } })
      ;(super.query as (query: unknown) => unknown)(query)
      return result
    }
  } as unknown as typeof pg.Client
}

export function createPostgresDatabase (connectionString: string, options: number | Partial<PostgresOptions> = {}): DatabaseHandle {
  const o: PostgresOptions = { ...UNBOUNDED, ...(typeof options === 'number' ? { poolSize: options } : options) }
  const pool = new pg.Pool({
    connectionString,
    max: o.poolSize,
    Client: guardedClientClass(o.connectTimeoutMs, o.preparedStatements > 0 ? new PreparedStatements(o.preparedStatements) : undefined),
    connectionTimeoutMillis: o.acquireTimeoutMs,
    types: PG_TYPES,
    ...(o.queryTimeoutMs > 0 ? { query_timeout: o.queryTimeoutMs } : {}),
    ...(o.statementTimeoutMs > 0 ? { statement_timeout: o.statementTimeoutMs } : {})
  })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(o.log !== undefined ? { log: o.log } : {}) })
  return {
    db,
    kind: 'postgres',
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
    listen: listenOptions => listenPostgres(connectionString, listenOptions)
  }
}

/**
 * Postgres extensions the migrations create (0005: pg_trgm). A real server ships them in its
 * contrib package; PGlite needs each one handed to it when an instance is created.
 */
export async function embeddedExtensions (): Promise<Extensions> {
  const { pg_trgm: pgTrgm } = await import('@electric-sql/pglite/contrib/pg_trgm')
  return { pg_trgm: pgTrgm }
}

/** `dataDir` undefined means an in-memory instance (tests). */
export async function createEmbeddedDatabase (dataDir: string | undefined): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite')
  const release = dataDir !== undefined ? lockDataDir(dataDir) : () => {}
  try {
    const pglite = await PGlite.create(dataDir ?? 'memory://', { extensions: await embeddedExtensions() })
    const db = new Kysely<Database>({
      dialect: new PGliteDialect(pglite, async () => {
        try { await pglite.close() } finally { release() }
      })
    })
    return { db, kind: 'embedded', close: () => db.destroy() }
  } catch (error) {
    release()
    throw error
  }
}

/**
 * `serving` (the default) applies the configured deadlines; `maintenance` (migrations, admin
 * commands) keeps the connect deadline only, since a migration may rightly run for minutes.
 */
export async function openDatabase (config: Config, purpose: 'serving' | 'maintenance' = 'serving'): Promise<DatabaseHandle> {
  if (config.databaseUrl === undefined) return await createEmbeddedDatabase(config.dataDir)
  const options = purpose === 'serving' ? servingPostgresOptions(config) : maintenancePostgresOptions(config)
  return createPostgresDatabase(config.databaseUrl, options)
}

/**
 * `select 1`, answered or failed within `timeoutMs` whatever the database does (the query
 * itself is left to its own deadlines).
 */
export async function checkDatabase (db: Db, timeoutMs = 0): Promise<void> {
  const query = sql`select 1`.execute(db)
  if (timeoutMs <= 0) {
    await query
    return
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(`the database did not answer within ${timeoutMs} ms`)), timeoutMs)
  })
  query.catch(() => {})
  try {
    await Promise.race([query, deadline])
  } finally {
    clearTimeout(timer)
  }
}
