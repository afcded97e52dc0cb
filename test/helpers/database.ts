/**
 * One database per test file. With DATABASE_URL set, each file gets a fresh Postgres
 * database cloned from a template that is migrated once per migration set; without it, an
 * in-memory embedded Postgres (PGlite) migrated for the file. Either way files run in
 * parallel and never see each other's rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Kysely, type LogConfig } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../../src/config.js'
import { createPostgresDatabase, embeddedExtensions, type DatabaseHandle } from '../../src/db/database.js'
import { PGliteDialect } from '../../src/db/pglite-dialect.js'
import type { Database } from '../../src/db/schema.js'
import { migrate, readMigrations } from '../../src/db/migrate.js'

interface Teardown { teardown (fn: () => unknown): void }

const TEMPLATE_LOCK_KEY = 7_643_0001

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = '/' + database
  return parsed.toString()
}

async function migrationsHash (): Promise<string> {
  const hash = createHash('sha256')
  for (const m of await readMigrations()) hash.update(m.name).update(m.checksum)
  return hash.digest('hex').slice(0, 12)
}

async function templateName (): Promise<string> {
  return 'scim_test_template_' + await migrationsHash()
}

async function ensureTemplate (admin: pg.Client, url: string, name: string): Promise<void> {
  await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY])
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name])
    if (exists.rowCount !== 0) return
    const building = name + '_building'
    await admin.query(`drop database if exists "${building}" with (force)`)
    await admin.query(`create database "${building}"`)
    const handle = createPostgresDatabase(withDatabase(url, building), 2)
    try { await migrate(handle.db) } finally { await handle.close() }
    await admin.query(`alter database "${building}" rename to "${name}"`)
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY])
  }
}

async function createFromTemplate (admin: pg.Client, template: string, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database "${name}" template "${template}"`)
      return
    } catch (error) {
      // 55006: the template is briefly in use by another file's CREATE DATABASE; retry.
      if ((error as { code?: string }).code !== '55006' || attempt > 50) throw error
      await new Promise(resolve => setTimeout(resolve, 100 + Math.random() * 200))
    }
  }
}

/** Creates a fresh database cloned from the template; `drop` removes it. */
async function cloneTemplateDatabase (url: string): Promise<{ url: string, drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const template = await templateName()
  const name = 'scim_test_' + randomBytes(6).toString('hex')
  try {
    await ensureTemplate(admin, url, template)
    await createFromTemplate(admin, template, name)
  } finally {
    await admin.end()
  }
  const drop = async () => {
    const cleanup = new pg.Client({ connectionString: url })
    await cleanup.connect()
    try { await cleanup.query(`drop database if exists "${name}" with (force)`) } finally { await cleanup.end() }
  }
  return { url: withDatabase(url, name), drop }
}

async function createPostgresTestDatabase (url: string, t: Teardown, options: TestDatabaseOptions): Promise<DatabaseHandle> {
  const database = await cloneTemplateDatabase(url)
  // Named statements as the server uses them by default, so every test runs through them.
  const handle = createPostgresDatabase(database.url, { poolSize: 10, preparedStatements: loadConfig({}).databasePreparedStatements, log: options.log })
  t.teardown(async () => {
    await handle.close()
    await database.drop()
  })
  return handle
}

/**
 * Real Postgres only: the connection string of a fresh migrated database, for tests that
 * open their own pools (through a proxy, with other settings) or start a server process.
 */
export async function createTestDatabaseUrl (t: Teardown): Promise<string> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url === '') throw new Error('createTestDatabaseUrl needs DATABASE_URL')
  const database = await cloneTemplateDatabase(url)
  // Dropped WITH (FORCE): whatever pools the test left open are disconnected.
  t.teardown(database.drop)
  return database.url
}

export interface TestDatabaseOptions {
  /** Kysely's query log: every statement sent (a Kysely plugin does not see compiled-once queries run again). */
  readonly log?: LogConfig
}

/** `DATABASE_URL` names the server to use (any database on it; test databases are created). */
export async function createTestDatabase (t: Teardown, options: TestDatabaseOptions = {}): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL
  if (url !== undefined && url !== '') return createPostgresTestDatabase(url, t, options)
  const handle = await createEmbeddedTestDatabase(options)
  t.teardown(() => handle.close())
  return handle
}

/**
 * Embedded: a migrated PGlite data directory is dumped once per migration set into the
 * temp directory, and each file loads it (much faster than initdb + migrations per file).
 */
async function createEmbeddedTestDatabase (options: TestDatabaseOptions): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite')
  const dumpPath = path.join(os.tmpdir(), `scim-test-pglite-${await migrationsHash()}.tar.gz`)
  let dump: Blob | undefined
  try {
    dump = new Blob([await fs.readFile(dumpPath)])
  } catch {
    const fresh = await PGlite.create('memory://', { extensions: await embeddedExtensions() })
    const db = new Kysely<Database>({ dialect: new PGliteDialect(fresh) })
    await migrate(db)
    const file = await fresh.dumpDataDir('gzip')
    await db.destroy()
    const temp = `${dumpPath}.${process.pid}.tmp`
    await fs.writeFile(temp, Buffer.from(await file.arrayBuffer()))
    await fs.rename(temp, dumpPath)
    dump = new Blob([await fs.readFile(dumpPath)])
  }
  const pglite = await PGlite.create({ loadDataDir: dump, extensions: await embeddedExtensions() })
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), ...(options.log !== undefined ? { log: options.log } : {}) })
  return { db, kind: 'embedded', close: () => db.destroy() }
}

export const usingEmbedded = (): boolean => (process.env.DATABASE_URL ?? '') === ''
