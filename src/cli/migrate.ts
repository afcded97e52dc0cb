/** `npm run migrate`: applies pending migrations; exits non-zero on any failure. */
import { loadConfig } from '../config.js'
import { openDatabase } from '../db/database.js'
import { migrate } from '../db/migrate.js'

async function main (): Promise<number> {
  const handle = await openDatabase(loadConfig(), 'maintenance')
  try {
    const { applied } = await migrate(handle.db)
    process.stdout.write(applied.length === 0 ? 'Database is up to date.\n' : `Applied: ${applied.join(', ')}\n`)
    return 0
  } finally {
    await handle.close()
  }
}

main().then(code => { process.exitCode = code }, (error: unknown) => {
  process.stderr.write(`Migration failed: ${(error as Error)?.message ?? String(error)}\n`)
  process.exitCode = 1
})
