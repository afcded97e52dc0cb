/**
 * `npm run --silent admin -- …`: organizations and tokens, on the same database settings as
 * the server. On embedded Postgres the data directory is locked by a running server, and
 * this command then refuses with a message instead of opening the files twice.
 */
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrate.js'
import { ADMIN_USAGE, runAdmin } from './admin-commands.js'

async function main (): Promise<number> {
  const argv = process.argv.slice(2)
  if (argv.length === 0 || argv.includes('--help')) {
    process.stderr.write(ADMIN_USAGE + '\n')
    return argv.length === 0 ? 2 : 0
  }
  const config = loadConfig()
  const handle = await openDatabase(config, 'maintenance')
  try {
    if (config.migrateOnStart) await migrate(handle.db)
    return await runAdmin(handle.db, argv, {
      out: line => { process.stdout.write(line + '\n') },
      err: line => { process.stderr.write(line + '\n') }
    })
  } finally {
    await handle.close()
  }
}

main().then(code => { process.exitCode = code }, (error: unknown) => {
  process.stderr.write(`admin: ${(error as Error)?.message ?? String(error)}\n`)
  process.exitCode = 1
})
