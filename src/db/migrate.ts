/**
 * Applies the numbered SQL files in migrations/ that have not run yet, all in one
 * transaction under an advisory lock, so that several instances starting at once apply each
 * migration exactly once. Applied migrations are immutable: a changed file is an error.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { sql } from 'kysely'
import { PROJECT_ROOT } from '../project-root.js'
import type { Db } from './database.js'

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations')

/** Arbitrary constant identifying this service's migration lock (pg_advisory_xact_lock key). */
const MIGRATION_LOCK_KEY = 7_643_7644

export interface Migration {
  readonly version: string
  readonly name: string
  readonly sql: string
  readonly checksum: string
}

export interface MigrationResult {
  readonly applied: readonly string[]
}

export async function readMigrations (dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter(f => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort()
  return Promise.all(files.map(async file => {
    const text = await fs.readFile(path.join(dir, file), 'utf8')
    return {
      version: file.slice(0, 4),
      name: file.replace(/\.sql$/, ''),
      sql: text,
      checksum: createHash('sha256').update(text).digest('hex')
    }
  }))
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

export async function migrate (db: Db, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await readMigrations(dir)
  return db.transaction().execute(async trx => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx)
    await sql`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx)
    const done = new Map((await trx.selectFrom('schema_migrations').select(['version', 'checksum', 'name']).execute())
      .map(row => [row.version, row]))
    const applied: string[] = []
    for (const migration of migrations) {
      const previous = done.get(migration.version)
      if (previous !== undefined) {
        if (previous.checksum !== migration.checksum) {
          throw new MigrationError(`Migration ${migration.name} changed after it was applied; migrations are immutable, add a new one instead.`)
        }
        continue
      }
      await sql.raw(migration.sql).execute(trx)
      await trx.insertInto('schema_migrations')
        .values({ version: migration.version, name: migration.name, checksum: migration.checksum })
        .execute()
      applied.push(migration.name)
    }
    return { applied }
  })
}
