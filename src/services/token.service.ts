/**
 * API tokens: each belongs to one organization. A token is shown once, when created; only
 * its SHA-256 hash is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Db } from '../db/database.js'
import { ensureOrganization, type Organization } from '../repositories/organization.repository.js'
import {
  countTokens, ensureToken, findTokenByHash, insertToken, listTokens, revokeLabelledTokensExcept, revokeToken, touchToken, type ApiTokenRecord
} from '../repositories/token.repository.js'

const TOKEN_PREFIX = 'scim_'
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const DEFAULT_ORGANIZATION = 'default'
const CONFIGURED_TOKEN_LABEL = 'SCIM_BEARER_TOKEN'

export interface AuthenticatedOrganization {
  readonly id: string
  readonly name: string
  readonly tokenId: string
}

export interface CreatedToken {
  readonly id: string
  readonly token: string
  readonly organization: Organization
}

export function hashToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export function generateToken (): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url')
}

/**
 * Okta's "Header auth" sends whatever the admin typed, so the `Bearer ` prefix is optional
 * (CLIENTS.md, transport). Returns undefined when there is no usable credential.
 */
export function extractToken (authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined
  const value = authorization.trim()
  const match = /^bearer\s+(.+)$/i.exec(value)
  const token = (match?.[1] ?? value).trim()
  if (token === '' || /\s/.test(token) || token.length > 1024) return undefined
  return token
}

/** How often one instance records a token's use (the repository also skips fresher rows). */
const TOUCH_INTERVAL_MS = 60_000

export class TokenService {
  /** When this instance last recorded each token's use: most requests then need no write. */
  private readonly touched = new Map<string, number>()

  constructor (private readonly db: Db) {}

  async authenticate (token: string): Promise<AuthenticatedOrganization | undefined> {
    const hash = hashToken(token)
    const record = await findTokenByHash(this.db, hash)
    // The lookup is by hash (an index probe); comparing the hashes again in constant time
    // keeps the decision itself free of timing differences.
    if (record === undefined || !timingSafeEqual(Buffer.from(record.tokenHash, 'hex'), Buffer.from(hash, 'hex'))) return undefined
    if (record.revokedAt !== null) return undefined
    await this.recordUse(record.id)
    return { id: record.organizationId, name: record.organizationName, tokenId: record.id }
  }

  private async recordUse (tokenId: string): Promise<void> {
    const now = Date.now()
    const last = this.touched.get(tokenId)
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return
    this.touched.set(tokenId, now)
    await touchToken(this.db, tokenId)
  }

  async create (organizationName: string, label: string | null = null): Promise<CreatedToken> {
    const organization = await ensureOrganization(this.db, organizationName)
    const token = generateToken()
    const id = await insertToken(this.db, organization.id, hashToken(token), label)
    return { id, token, organization }
  }

  /**
   * Start-up provisioning: SCIM_BEARER_TOKEN is accepted for `default`; without it, a first
   * start with no token at all creates one and returns it so it can be printed once.
   */
  async bootstrap (configuredToken: string | undefined): Promise<CreatedToken | undefined> {
    if (configuredToken !== undefined) {
      // Changing SCIM_BEARER_TOKEN rotates it: the value configured before stops working.
      const organization = await ensureOrganization(this.db, DEFAULT_ORGANIZATION)
      const hash = hashToken(configuredToken)
      await this.db.transaction().execute(async trx => {
        await ensureToken(trx, organization.id, hash, CONFIGURED_TOKEN_LABEL)
        await revokeLabelledTokensExcept(trx, organization.id, CONFIGURED_TOKEN_LABEL, hash)
      })
      return undefined
    }
    if (await countTokens(this.db) > 0) return undefined
    return this.create(DEFAULT_ORGANIZATION, 'created on first start')
  }

  list (organizationName?: string): Promise<ApiTokenRecord[]> {
    return listTokens(this.db, organizationName)
  }

  async revoke (id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false
    return revokeToken(this.db, id)
  }
}
