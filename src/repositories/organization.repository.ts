import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface Organization {
  readonly id: string
  readonly name: string
  readonly createdAt: Date
}

type Executor = Kysely<Database>

function toOrganization (row: { id: string, name: string, created_at: Date }): Organization {
  return { id: row.id, name: row.name, createdAt: new Date(row.created_at) }
}

export async function findOrganizationByName (db: Executor, name: string): Promise<Organization | undefined> {
  const row = await db.selectFrom('organizations').select(['id', 'name', 'created_at']).where('name', '=', name).executeTakeFirst()
  return row && toOrganization(row)
}

/** Creates the organization, or returns the existing one of that name (race-free upsert). */
export async function ensureOrganization (db: Executor, name: string): Promise<Organization> {
  await db.insertInto('organizations').values({ name }).onConflict(oc => oc.column('name').doNothing()).execute()
  const org = await findOrganizationByName(db, name)
  if (org === undefined) throw new Error(`organization ${name} vanished after upsert`)
  return org
}

export async function insertOrganization (db: Executor, name: string): Promise<Organization> {
  const row = await db.insertInto('organizations').values({ name }).returning(['id', 'name', 'created_at']).executeTakeFirstOrThrow()
  return toOrganization(row)
}

export async function listOrganizations (db: Executor): Promise<Organization[]> {
  const rows = await db.selectFrom('organizations').select(['id', 'name', 'created_at']).orderBy('name').execute()
  return rows.map(toOrganization)
}
