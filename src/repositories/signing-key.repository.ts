/** SQL for the organizations' SET signing keys (migration 0007). */
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

type Executor = Kysely<Database>

export interface SigningKeyRecord {
  readonly kid: string
  readonly algorithm: string
  readonly publicJwk: Record<string, unknown>
  readonly privateJwk: Record<string, unknown>
  readonly retiredAt: Date | null
}

const parse = (value: unknown): Record<string, unknown> => typeof value === 'string' ? JSON.parse(value) as Record<string, unknown> : value as Record<string, unknown>

export async function findCurrentSigningKey (db: Executor, organizationId: string): Promise<SigningKeyRecord | undefined> {
  const row = await db.selectFrom('signing_keys').select(['kid', 'algorithm', 'public_jwk', 'private_jwk', 'retired_at'])
    .where('organization_id', '=', organizationId).where('retired_at', 'is', null).executeTakeFirst()
  return row && { kid: row.kid, algorithm: row.algorithm, publicJwk: parse(row.public_jwk), privateJwk: parse(row.private_jwk), retiredAt: row.retired_at }
}

/** Public halves only: what the JWKS publishes (current and retired keys). */
export async function listPublicKeys (db: Executor, organizationId: string): Promise<Array<{ kid: string, algorithm: string, publicJwk: Record<string, unknown> }>> {
  const rows = await db.selectFrom('signing_keys').select(['kid', 'algorithm', 'public_jwk'])
    .where('organization_id', '=', organizationId).orderBy('created_at').execute()
  return rows.map(row => ({ kid: row.kid, algorithm: row.algorithm, publicJwk: parse(row.public_jwk) }))
}

/** Stores a new current key unless the organization got one meanwhile (then nothing happens). */
export async function insertSigningKey (
  db: Executor, organizationId: string, key: { kid: string, algorithm: string, publicJwk: Record<string, unknown>, privateJwk: Record<string, unknown> }
): Promise<void> {
  await sql`insert into signing_keys (kid, organization_id, algorithm, public_jwk, private_jwk)
    values (${key.kid}, ${organizationId}::uuid, ${key.algorithm}, ${JSON.stringify(key.publicJwk)}::jsonb, ${JSON.stringify(key.privateJwk)}::jsonb)
    on conflict (organization_id) where retired_at is null do nothing`.execute(db)
}
