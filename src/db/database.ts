/**
 * Opens the store: a pg pool when DATABASE_URL is set, otherwise embedded Postgres (PGlite)
 * persisted in DATA_DIR. Both are driven through Kysely with the Postgres dialect.
 */
import { Kysely, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { Config } from '../config.js'
import { lockDataDir } from './data-dir-lock.js'
import { listenPostgres, type ListenOptions, type Subscription } from './listener.js'
import { PGliteDialect } from './pglite-dialect.js'
import type { Database } from './schema.js'
import type { Extensions } from '@electric-sql/pglite'

export type Db = Kysely<Database>

export interface DatabaseHandle {
  readonly db: Db
  readonly kind: 'postgres' | 'embedded'
  /** Closes the pool (or the embedded instance) and releases the data directory. */
  close (): Promise<void>
  /** Postgres LISTEN on a connection of its own; absent for embedded Postgres (one process, see listener.ts). */
  readonly listen?: (options: ListenOptions) => Subscription
}

export function createPostgresDatabase (connectionString: string, poolSize = 10): DatabaseHandle {
  const pool = new pg.Pool({ connectionString, max: poolSize })
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return { db, kind: 'postgres', close: () => db.destroy(), listen: options => listenPostgres(connectionString, options) }
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

export async function openDatabase (config: Config): Promise<DatabaseHandle> {
  return config.databaseUrl !== undefined
    ? createPostgresDatabase(config.databaseUrl, config.databasePoolSize)
    : await createEmbeddedDatabase(config.dataDir)
}

export async function checkDatabase (db: Db): Promise<void> {
  await sql`select 1`.execute(db)
}
