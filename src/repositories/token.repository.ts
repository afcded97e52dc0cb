import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { expandScopes, type TokenScope } from '../services/token-scopes.js'

/**
 * One token as stored, with its organization: everything authentication decides on
 * (revocation, expiry, scopes) is in this one row, so a cache can hold the whole record and
 * still decide at use time.
 */
export interface ApiTokenRecord {
  readonly id: string
  readonly organizationId: string
  readonly organizationName: string
  readonly tokenHash: string
  readonly label: string | null
  readonly scopes: readonly TokenScope[]
  readonly createdAt: Date
  readonly expiresAt: Date | null
  readonly lastUsedAt: Date | null
  readonly revokedAt: Date | null
  /** The token this one replaced by rotation. */
  readonly rotatedFrom: string | null
}

export interface NewToken {
  readonly organizationId: string
  readonly tokenHash: string
  readonly label: string | null
  readonly scopes: readonly TokenScope[]
  readonly expiresAt: Date | null
  /** The service's clock, so that a lifetime (expiry minus creation) is measured on one clock. */
  readonly createdAt: Date
  readonly rotatedFrom?: string
}

type Executor = Kysely<Database>

/** Migration 0008 announces every change of a token row here, with the token's id. */
export const TOKEN_CHANGES_CHANNEL = 'scim_api_tokens'

const COLUMNS = [
  'api_tokens.id', 'api_tokens.organization_id', 'organizations.name as organization_name', 'api_tokens.token_hash',
  'api_tokens.label', 'api_tokens.scopes', 'api_tokens.created_at', 'api_tokens.expires_at', 'api_tokens.last_used_at',
  'api_tokens.revoked_at', 'api_tokens.rotated_from'
] as const

/**
 * Scope names come from a fixed allow-list (no commas, quotes or braces), so the array
 * literal needs no escaping; a literal works the same on pg and PGlite.
 */
function toArrayLiteral (scopes: readonly TokenScope[]): string {
  return `{${expandScopes(scopes).join(',')}}`
}

function toDate (value: Date | string | null): Date | null {
  return value === null ? null : new Date(value)
}

function toRecord (row: {
  id: string, organization_id: string, organization_name: string, token_hash: string, label: string | null,
  scopes: string[], created_at: Date, expires_at: Date | null, last_used_at: Date | null, revoked_at: Date | null,
  rotated_from: string | null
}): ApiTokenRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    tokenHash: row.token_hash,
    label: row.label,
    // The database check keeps the names known and the implications closed.
    scopes: expandScopes(row.scopes),
    createdAt: new Date(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
    rotatedFrom: row.rotated_from
  }
}

function selectTokens (db: Executor) {
  return db.selectFrom('api_tokens').innerJoin('organizations', 'organizations.id', 'api_tokens.organization_id').select(COLUMNS)
}

export async function insertToken (db: Executor, token: NewToken): Promise<string> {
  const row = await db.insertInto('api_tokens')
    .values({
      organization_id: token.organizationId,
      token_hash: token.tokenHash,
      label: token.label,
      scopes: toArrayLiteral(token.scopes),
      expires_at: token.expiresAt,
      created_at: token.createdAt,
      rotated_from: token.rotatedFrom ?? null
    })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

/**
 * Configured tokens on every start: inserts unless a token with this hash exists already,
 * and gives it `scopes` either way (a configured token's access follows the code, not the
 * day it was first configured).
 */
export async function ensureToken (
  db: Executor, organizationId: string, tokenHash: string, label: string, scopes: readonly TokenScope[]
): Promise<void> {
  const literal = toArrayLiteral(scopes)
  await db.insertInto('api_tokens')
    .values({ organization_id: organizationId, token_hash: tokenHash, label, scopes: literal })
    .onConflict(oc => oc.column('token_hash').doUpdateSet({ scopes: literal })
      // Only the configured token itself: a value that happens to be another token's is left alone.
      .where('api_tokens.organization_id', '=', organizationId).where('api_tokens.label', '=', label))
    .execute()
}

/** The authentication lookup: one probe of the unique token_hash index (joined to its organization). */
export async function findTokenByHash (db: Executor, tokenHash: string): Promise<ApiTokenRecord | undefined> {
  const row = await selectTokens(db).where('api_tokens.token_hash', '=', tokenHash).executeTakeFirst()
  return row && toRecord(row)
}

export async function findTokenById (db: Executor, id: string): Promise<ApiTokenRecord | undefined> {
  const row = await selectTokens(db).where('api_tokens.id', '=', id).executeTakeFirst()
  return row && toRecord(row)
}

/** The token, locked until the transaction ends (rotation decides on its current state). */
export async function lockTokenById (db: Executor, id: string): Promise<ApiTokenRecord | undefined> {
  const row = await selectTokens(db).where('api_tokens.id', '=', id).forUpdate('api_tokens').executeTakeFirst()
  return row && toRecord(row)
}

/** The token that replaced this one by rotation, if any. */
export async function findSuccessorId (db: Executor, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('api_tokens').select('id').where('rotated_from', '=', id).executeTakeFirst()
  return row?.id
}

export async function listTokens (db: Executor, organizationName?: string): Promise<ApiTokenRecord[]> {
  let query = selectTokens(db)
  if (organizationName !== undefined) query = query.where('organizations.name', '=', organizationName)
  const rows = await query.orderBy('organizations.name').orderBy('api_tokens.created_at').orderBy('api_tokens.id').execute()
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

export async function setTokenExpiry (db: Executor, id: string, expiresAt: Date): Promise<void> {
  await db.updateTable('api_tokens').set({ expires_at: expiresAt }).where('id', '=', id).execute()
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
