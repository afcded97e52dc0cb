import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export interface ApiTokenRecord {
  readonly id: string
  readonly organizationId: string
  readonly organizationName: string
  readonly tokenHash: string
  readonly label: string | null
  readonly createdAt: Date
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
}

type Executor = Kysely<Database>

const COLUMNS = [
  'api_tokens.id', 'api_tokens.organization_id', 'organizations.name as organization_name', 'api_tokens.token_hash',
  'api_tokens.label', 'api_tokens.created_at', 'api_tokens.last_used_at', 'api_tokens.revoked_at'
] as const

function toRecord (row: {
  id: string, organization_id: string, organization_name: string, token_hash: string, label: string | null,
  created_at: Date, last_used_at: Date | null, revoked_at: Date | null
}): ApiTokenRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    tokenHash: row.token_hash,
    label: row.label,
    createdAt: new Date(row.created_at),
    lastUsedAt: row.last_used_at && new Date(row.last_used_at),
    revokedAt: row.revoked_at && new Date(row.revoked_at)
  }
}

function selectTokens (db: Executor) {
  return db.selectFrom('api_tokens').innerJoin('organizations', 'organizations.id', 'api_tokens.organization_id').select(COLUMNS)
}

export async function insertToken (db: Executor, organizationId: string, tokenHash: string, label: string | null): Promise<string> {
  const row = await db.insertInto('api_tokens')
    .values({ organization_id: organizationId, token_hash: tokenHash, label })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** Inserts unless a token with this hash exists already (configured tokens on every start). */
export async function ensureToken (db: Executor, organizationId: string, tokenHash: string, label: string): Promise<void> {
  await db.insertInto('api_tokens')
    .values({ organization_id: organizationId, token_hash: tokenHash, label })
    .onConflict(oc => oc.column('token_hash').doNothing()).execute()
}

export async function findTokenByHash (db: Executor, tokenHash: string): Promise<ApiTokenRecord | undefined> {
  const row = await selectTokens(db).where('api_tokens.token_hash', '=', tokenHash).executeTakeFirst()
  return row && toRecord(row)
}

export async function listTokens (db: Executor, organizationName?: string): Promise<ApiTokenRecord[]> {
  let query = selectTokens(db)
  if (organizationName !== undefined) query = query.where('organizations.name', '=', organizationName)
  const rows = await query.orderBy('organizations.name').orderBy('api_tokens.created_at').execute()
  return rows.map(toRecord)
}

export async function countTokens (db: Executor): Promise<number> {
  const row = await db.selectFrom('api_tokens').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
  return row.n
}

/** Returns false when there is no such token or it was revoked before. */
export async function revokeToken (db: Executor, id: string): Promise<boolean> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: new Date() })
    .where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/**
 * Records use at most once a minute per token, so that authentication does not turn every
 * read into a write.
 */
export async function touchToken (db: Executor, id: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where(eb => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute()
}

/** Revokes the organization's active tokens with this label, except the one with `keepHash`. */
export async function revokeLabelledTokensExcept (db: Executor, organizationId: string, label: string, keepHash: string): Promise<number> {
  const result = await db.updateTable('api_tokens').set({ revoked_at: new Date() })
    .where('organization_id', '=', organizationId).where('label', '=', label)
    .where('token_hash', '<>', keepHash).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
