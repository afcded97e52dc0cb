/**
 * Setting up a benchmark run: a database of its own on the server named by DATABASE_URL
 * (dropped and recreated, so every run starts from the same empty state and never touches
 * the application's data), migrated, with the services and the app on a free port.
 */
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { type Config, loadConfig } from '../../src/config.js'
import { createPostgresDatabase, type DatabaseHandle } from '../../src/db/database.js'
import { migrate } from '../../src/db/migrate.js'
import { buildApp } from '../../src/http/app.js'
import { createServices, type Services } from '../../src/services/services.js'
import { listenOnFreePort } from './http-load.js'

export interface BenchDatabase { config: Config, handle: DatabaseHandle, services: Services }

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = '/' + database
  return parsed.toString()
}

/** `keep`: create the database only if it is missing (a seeded database is reused). */
async function recreateDatabase (url: string, database: string, keep: boolean): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    if (keep) {
      const found = await admin.query('select 1 from pg_database where datname = $1', [database])
      if (found.rowCount !== 0) return
    } else {
      await admin.query(`drop database if exists ${database} with (force)`)
    }
    await admin.query(`create database ${database}`)
  } finally {
    await admin.end()
  }
}

/**
 * Recreates and migrates `database` and builds the services on it. `env` overrides the
 * process environment for the app's config (log level, page size). The caller closes
 * `handle`; if migrating fails it is closed here, as the caller never received it. With
 * `keep`, an existing database is migrated and reused instead (the caller checks its seed).
 */
export async function openBenchDatabase (database: string, env: Record<string, string>, options: { keep?: boolean } = {}): Promise<BenchDatabase> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') throw new Error('Set DATABASE_URL to a Postgres server (the bench creates its own database).')
  await recreateDatabase(url, database, options.keep ?? false)
  // One tenant driving the service flat out: the per-organization fair-share limits would
  // measure themselves, so they are off unless the environment sets them.
  const config = loadConfig({ ORG_MAX_CONCURRENT_REQUESTS: '0', RATE_LIMIT_PER_MINUTE: '0', ...process.env, ...env, DATABASE_URL: withDatabase(url, database) })
  const handle = createPostgresDatabase(config.databaseUrl as string, { poolSize: config.databasePoolSize, preparedStatements: config.databasePreparedStatements })
  try {
    await migrate(handle.db)
  } catch (error) {
    await handle.close()
    throw error
  }
  return { config, handle, services: createServices(handle.db, config) }
}

/** The real app, built exactly as the server builds it, on the bench database's pool. */
export async function startApp (bench: BenchDatabase): Promise<{ app: FastifyInstance, port: number }> {
  const app = await buildApp(bench.config, { db: bench.handle.db, services: bench.services })
  return { app, port: await listenOnFreePort(app) }
}
