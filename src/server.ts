/**
 * The only file that listens. Opens the database, migrates (unless MIGRATE_ON_START=false),
 * provisions the configured or first token, serves, and shuts down gracefully on
 * SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the pool, write the
 * buffered log lines, exit 0.
 */
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/database.js'
import { DataDirInUseError } from './db/data-dir-lock.js'
import { migrate } from './db/migrate.js'
import { buildApp } from './http/app.js'
import { createLogDestination } from './http/log-destination.js'
import { createServices } from './services/services.js'

async function main (): Promise<void> {
  const config = loadConfig()
  const handle = await openDatabase(config)
  try {
    if (config.migrateOnStart) await migrate(handle.db)
  } catch (error) {
    await handle.close()
    throw error
  }
  const services = createServices(handle.db, config)
  const log = createLogDestination()
  const app = await buildApp(config, { db: handle.db, services, logStream: log.stream, listen: handle.listen })
  const created = await services.tokens.bootstrap(config.bearerToken)
  if (created !== undefined) {
    process.stderr.write(
      `\nNo API token existed, so one was created for organization "${created.organization.name}".\n` +
      `It is shown only this once; keep it:\n\n  ${created.token}\n\n`
    )
  }

  let closing = false
  const shutdown = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out')
      process.exit(1)
    }, config.shutdownTimeoutMs)
    timer.unref()
    // Every request's log line is buffered once the app has closed; write them all before exiting.
    app.close()
      .then(() => handle.close())
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

main().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof DataDirInUseError
  process.stderr.write(`Failed to start: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`)
  process.exit(1)
})
