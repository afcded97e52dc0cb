/**
 * The only file that listens. Opens the database (waiting for it up to
 * DATABASE_STARTUP_TIMEOUT_MS), migrates (unless MIGRATE_ON_START=false),
 * provisions the configured or first token, serves, and shuts down gracefully on
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the pool, write the
 * buffered log lines, exit 0.
 */
import { ConfigError, loadConfig } from './config.js'
import { createPostgresDatabase, maintenancePostgresOptions, openDatabase, type DatabaseHandle } from './db/database.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { classifyDatabaseFailure, describeDatabaseFailure } from './db/database-errors.js'
import { MigrationError, migrate } from './db/migrate.js'
import { DatabaseUnreachableError, waitForDatabase } from './db/wait-for-database.js'
import type { Config } from './config.js'
import { buildApp } from './http/app.js'
import { createLogDestination } from './http/log-destination.js'
import { createServices } from './services/services.js'

/**
 * Waits for the database, then migrates on a connection without statement deadlines (a
 * migration may rightly take minutes); the serving pool is opened afterwards.
 */
async function prepareDatabase (config: Config): Promise<DatabaseHandle> {
  const serving = await openDatabase(config)
  if (serving.kind === 'embedded') {
    if (config.migrateOnStart) await closingOnError(serving, () => migrate(serving.db))
    return serving
  }
  const maintenance = createPostgresDatabase(config.databaseUrl as string, maintenancePostgresOptions(config))
  try {
    await waitForDatabase(maintenance.db, {
      deadlineMs: config.databaseStartupTimeoutMs,
      attemptTimeoutMs: config.databaseConnectTimeoutMs + 1000,
      log: line => { process.stderr.write(line + '\n') }
    })
    if (config.migrateOnStart) await migrate(maintenance.db)
  } catch (error) {
    await serving.close()
    throw error
  } finally {
    await maintenance.close()
  }
  return serving
}

async function closingOnError<T> (handle: DatabaseHandle, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    await handle.close()
    throw error
  }
}

async function main (): Promise<void> {
  const config = loadConfig()
  const handle = await prepareDatabase(config)
  const services = createServices(handle.db, config)
  const log = createLogDestination()
  const app = await buildApp(config, {
    db: handle.db, services, logStream: log.stream, listen: handle.listen, ...(handle.stats !== undefined ? { poolStats: handle.stats } : {})
  })
  const created = await services.tokens.bootstrap(config.bearerToken)
  if (created !== undefined) {
    process.stderr.write(
      `\nNo API token existed, so one was created for organization "${created.organization.name}".\n` +
      `It is shown only this once; keep it:\n\n  ${created.token}\n\n`
    )
  }

  // Shutdown: the app stops accepting connections, closes idle keep-alive sockets, answers
  // in-flight requests with `Connection: close` and lets a /Bulk work until shortly before
  // the timeout (plugins/shutdown.ts); then the pool is closed. The timer is the backstop.
  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    const started = Date.now()
    app.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      app.log.error({ afterMs: Date.now() - started }, 'graceful shutdown timed out')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    // Every request's log line is buffered once the app has closed; write them all before exiting.
    app.close()
      .then(() => handle.close())
      .then(() => { app.log.info({ afterMs: Date.now() - started }, 'stopped') })
      .then(() => log.flush())
      .then(() => { process.exit(0) })
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('SIGINT', () => { shutdown('SIGINT') })

  if (config.publicBaseUrl === undefined) {
    app.log.warn('PUBLIC_BASE_URL is not set: Location and meta.location are built from each request\'s Host header (requests without a valid one are refused). Set it when the service runs behind a proxy.')
  }
  await app.listen({ port: config.port, host: config.host })
  app.log.info({ database: handle.kind }, 'ready')
  // Start-up lines now, not at the next block or tick: whoever waits for "ready" sees it.
  await log.flush()
}

/** One clear line for the failures an operator can fix; a stack only for the unexpected. */
function startFailure (error: unknown): string {
  if (error instanceof ConfigError || error instanceof DataDirInUseError || error instanceof DatabaseUnreachableError ||
    error instanceof MigrationError) return (error as Error).message
  if (classifyDatabaseFailure(error) !== undefined) return `The database became unreachable: ${describeDatabaseFailure(error)}`
  return String((error as Error)?.stack ?? error)
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${startFailure(error)}\n`)
  process.exit(1)
})
