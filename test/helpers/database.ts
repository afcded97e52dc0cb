/**
 * One database per test file. With DATABASE_URL set, each file gets a fresh Postgres
 * database cloned from a template that is migrated once per migration set; without it, an
 * in-memory embedded Postgres (PGlite) migrated for the file. Either way files run in
 * parallel and never see each other's rows.
 */
import { createHash, randomBytes } from 'node:crypto'
import pg from 'pg'
import { createEmbeddedDatabase, createPostgresDatabase, type DatabaseHandle } from '../../src/db/database.js'
import { migrate, readMigrations } from '../../src/db/migrate.js'

interface Teardown { teardown (fn: () => unknown): void }

const TEMPLATE_LOCK_KEY = 7_643_0001

function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = '/' + database
  return parsed.toString()
}

async function templateName (): Promise<string> {
  const hash = createHash('sha256')
  for (const m of await readMigrations()) hash.update(m.name).update(m.checksum)
  return 'scim_test_template_' + hash.digest('hex').slice(0, 12)
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

async function createPostgresTestDatabase (url: string, t: Teardown): Promise<DatabaseHandle> {
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
  const handle = createPostgresDatabase(withDatabase(url, name), 10)
  t.teardown(async () => {
    await handle.close()
    const cleanup = new pg.Client({ connectionString: url })
    await cleanup.connect()
    try { await cleanup.query(`drop database if exists "${name}" with (force)`) } finally { await cleanup.end() }
  })
  return handle
}

/** `DATABASE_URL` names the server to use (any database on it; test databases are created). */
export async function createTestDatabase (t: Teardown): Promise<DatabaseHandle> {
  const url = process.env.DATABASE_URL
  if (url !== undefined && url !== '') return createPostgresTestDatabase(url, t)
  const handle = await createEmbeddedDatabase(undefined)
  await migrate(handle.db)
  t.teardown(() => handle.close())
  return handle
}

export const usingEmbedded = (): boolean => (process.env.DATABASE_URL ?? '') === ''
