import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { migrate, MIGRATIONS_DIR, readMigrations } from '../../src/db/migrate.js'
import { createTestDatabase } from '../helpers/database.js'

t.test('a migrated database has every table and records every migration', async t => {
  const { db } = await createTestDatabase(t)
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by 1`.execute(db)
  t.same(tables.rows.map(r => r.table_name), [
    'api_tokens', 'event_deliveries', 'event_receivers', 'event_sequences', 'events', 'group_members', 'groups', 'organizations',
    'schema_migrations', 'signing_keys', 'users'
  ])
  const recorded = await db.selectFrom('schema_migrations').select('name').orderBy('version').execute()
  t.same(recorded.map(r => r.name), (await readMigrations()).map(m => m.name))
})

t.test('running the migrations again is a no-op', async t => {
  const { db } = await createTestDatabase(t)
  t.same(await migrate(db), { applied: [] })
  t.same(await migrate(db), { applied: [] })
})

t.test('a fresh database migrates from zero, and an edited migration is refused', async t => {
  const { db } = await createTestDatabase(t)
  await sql`drop schema public cascade`.execute(db)
  await sql`create schema public`.execute(db)
  const result = await migrate(db)
  t.same(result.applied, (await readMigrations()).map(m => m.name))

  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  for (const file of await fs.readdir(MIGRATIONS_DIR)) await fs.copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file))
  await fs.appendFile(path.join(dir, '0001_organizations_and_tokens.sql'), '\n-- edited\n')
  await t.rejects(migrate(db, dir), /immutable/)
})

t.test('a database migrated to 0008 before 0007 existed gets 0007 applied after it', async t => {
  const { db } = await createTestDatabase(t)
  await sql`drop schema public cascade`.execute(db)
  await sql`create schema public`.execute(db)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  // Such a database has what existed then: 0001-0006 and 0008 (no later migration either).
  const existedThen = (file: string): boolean => file.slice(0, 4) <= '0008' && !file.startsWith('0007_')
  for (const file of await fs.readdir(MIGRATIONS_DIR)) if (existedThen(file)) await fs.copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file))
  await migrate(db, dir)
  const late = (await readMigrations()).filter(m => !existedThen(`${m.version}_`)).map(m => m.name)
  t.equal(late[0]?.startsWith('0007_'), true, '0007 first, then what came after 0008')
  t.same((await migrate(db)).applied, late)
  t.same((await db.selectFrom('schema_migrations').select('name').orderBy('version').execute()).map(r => r.name), (await readMigrations()).map(m => m.name))
})

t.test('a failing migration applies nothing', async t => {
  const { db } = await createTestDatabase(t)
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  for (const file of await fs.readdir(MIGRATIONS_DIR)) await fs.copyFile(path.join(MIGRATIONS_DIR, file), path.join(dir, file))
  await fs.writeFile(path.join(dir, '9998_good.sql'), 'create table probe_good (id int);')
  await fs.writeFile(path.join(dir, '9999_bad.sql'), 'create table probe_bad (id int); select * from no_such_table;')
  await t.rejects(migrate(db, dir))
  const found = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name in ('probe_good', 'probe_bad')`.execute(db)
  t.equal(found.rows[0]?.n, 0)
  t.equal((await db.selectFrom('schema_migrations').select('version').where('version', '>=', '9998').execute()).length, 0)
})
