/**
 * API tokens: each belongs to one organization and carries scopes (token-scopes.ts), and may
 * expire. A token is shown once, when created; only its SHA-256 hash is stored.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Db } from '../db/database.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import { ensureOrganization, type Organization } from '../repositories/organization.repository.js'
import {
  countTokens, ensureToken, findSuccessorId, findTokenByHash, insertToken, listTokens, lockTokenById, revokeLabelledTokensExcept,
  revokeToken, setTokenExpiry, touchToken, type ApiTokenRecord
} from '../repositories/token.repository.js'
import { expandScopes, FULL_ACCESS, type TokenScope } from './token-scopes.js'

const TOKEN_PREFIX = 'scim_'
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const DEFAULT_ORGANIZATION = 'default'
export const CONFIGURED_TOKEN_LABEL = 'SCIM_BEARER_TOKEN'

export interface AuthenticatedOrganization {
  readonly id: string
  readonly name: string
  readonly tokenId: string
  /** The token's label, recorded with the changes it makes (the change feed's actor). */
  readonly tokenLabel: string | null
  /** The token's effective scopes (implied ones included). */
  readonly scopes: readonly TokenScope[]
}

/** What authentication concludes about a presented token. */
export type TokenVerdict =
  | { readonly kind: 'valid', readonly organization: AuthenticatedOrganization }
  /** Unknown or revoked: the two are not told apart. */
  | { readonly kind: 'invalid' }
  | { readonly kind: 'expired', readonly expiresAt: Date }

export interface TokenOptions {
  /** Granted scopes; implied ones are added. Default: every scope (what a token was before scopes). */
  readonly scopes?: readonly string[]
  readonly label?: string | null
  /** Null or absent: the token does not expire. */
  readonly expiresAt?: Date | null
}

export interface CreatedToken {
  readonly id: string
  readonly token: string
  readonly organization: Organization
  readonly scopes: readonly TokenScope[]
  readonly expiresAt: Date | null
}

export interface RotateOptions {
  /** How long the old token keeps working; 0 retires it at once. */
  readonly graceMs: number
  /** The new token's expiry; by default it gets the old token's lifetime, counted from now. */
  readonly expiresAt?: Date | null
}

export interface RotatedToken {
  readonly id: string
  readonly token: string
  readonly scopes: readonly TokenScope[]
  readonly expiresAt: Date | null
  readonly previous: { readonly id: string, readonly worksUntil: Date }
}

/** A rotation that cannot happen, with a message for the administrator. */
export class TokenRotationError extends Error {
  override name = 'TokenRotationError'
}

/** SHA-256 of the token's UTF-8, in hex (crypto.hash: one call, no Hash object per request). */
export function hashToken (token: string): string {
  return hash('sha256', token, 'hex')
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

/**
 * The decision on a stored token at instant `now` (ms). Pure, and made at use time: a
 * record held in a cache expires exactly when the stored one does. A token is valid strictly
 * before its expiry instant.
 */
export function judgeToken (record: ApiTokenRecord | undefined, now: number): TokenVerdict {
  if (record === undefined || record.revokedAt !== null) return { kind: 'invalid' }
  if (record.expiresAt !== null && now >= record.expiresAt.getTime()) return { kind: 'expired', expiresAt: record.expiresAt }
  return {
    kind: 'valid',
    organization: { id: record.organizationId, name: record.organizationName, tokenId: record.id, tokenLabel: record.label, scopes: record.scopes }
  }
}

/** How often one instance records a token's use (the repository also skips fresher rows). */
const TOUCH_INTERVAL_MS = 60_000
/** Tokens kept in memory at most (the oldest looked-up goes first); unknown tokens are never kept. */
const CACHE_MAX_ENTRIES = 10_000

export interface TokenServiceOptions {
  /** How long a looked-up token record may be used without looking again (0: always look). */
  readonly cacheTtlMs?: number
}

interface CachedToken { readonly record: ApiTokenRecord, readonly fetchedAt: number }

/**
 * Authentication is on every request, so token records are cached in memory by hash, whole
 * (the usability check runs on the record at each use, so revocation and expiry are judged
 * then, not when it was cached). How a change reaches the cache:
 * - on this instance, at once: every write here invalidates;
 * - on every other instance, at once: migration 0008 announces each change of a token row on
 *   Postgres channel `scim_api_tokens` (also when the admin CLI revokes), and buildApp wires
 *   the listener to `invalidate`;
 * - if a notification is lost (listener reconnecting), within `cacheTtlMs` (TOKEN_CACHE_TTL_MS,
 *   default 1 s): no record is used longer than that after it was read. That is the bound.
 * A lookup that was in flight while an invalidation arrived is used for its request but not
 * cached, so it cannot bring back the state from before the change.
 */
export class TokenService {
  /** When this instance last recorded each token's use: most requests then need no write. */
  private readonly touched = new Map<string, number>()
  private readonly cache = new Map<string, CachedToken>()
  /** Bumped by every invalidation: a lookup that saw it change does not cache its answer. */
  private generation = 0
  private readonly cacheTtlMs: number

  /**
   * `clock` gives the current time in ms (tests move it to an expiry boundary); it judges
   * expiry. The cache ages by real time.
   */
  constructor (private readonly db: Db, private readonly clock: () => number = Date.now, options: TokenServiceOptions = {}) {
    this.cacheTtlMs = options.cacheTtlMs ?? 0
  }

  /**
   * One indexed lookup by hash, then the decision; records use of valid tokens. A token whose
   * record is cached and fresh, and whose use was recorded lately, is answered at once
   * (not a promise): authentication runs on every request, and most find their token so.
   */
  verify (token: string): TokenVerdict | Promise<TokenVerdict> {
    const hash = hashToken(token)
    const hit = this.cache.get(hash)
    if (hit !== undefined && Date.now() - hit.fetchedAt < this.cacheTtlMs) {
      const verdict = this.judge(hit.record, hash)
      if (verdict.kind !== 'valid' || !this.useDue(verdict.organization.tokenId, Date.now())) return verdict
    }
    return this.verifyByLookup(hash)
  }

  private async verifyByLookup (hash: string): Promise<TokenVerdict> {
    const verdict = this.judge(await this.lookup(hash), hash)
    if (verdict.kind === 'valid') await this.recordUse(verdict.organization.tokenId)
    return verdict
  }

  private judge (record: ApiTokenRecord | undefined, hash: string): TokenVerdict {
    // The lookup is by hash (an index probe); comparing the hashes again in constant time
    // keeps the decision itself free of timing differences.
    const matches = record !== undefined && record.tokenHash.length === hash.length &&
      timingSafeEqual(Buffer.from(record.tokenHash, 'latin1'), Buffer.from(hash, 'latin1'))
    // Judged now, on a cached record too: expiry takes effect at its instant on every instance.
    return judgeToken(matches ? record : undefined, this.clock())
  }

  /** The organization of a valid token; undefined for unknown, revoked or expired ones. */
  async authenticate (token: string): Promise<AuthenticatedOrganization | undefined> {
    const verdict = await this.verify(token)
    return verdict.kind === 'valid' ? verdict.organization : undefined
  }

  /** Drops one token (by id) or every token from the cache: the next use reads the database. */
  invalidate (tokenId?: string): void {
    this.generation++
    if (tokenId === undefined) {
      this.cache.clear()
      return
    }
    for (const [hash, entry] of this.cache) if (entry.record.id === tokenId) this.cache.delete(hash)
  }

  private async lookup (hash: string): Promise<ApiTokenRecord | undefined> {
    const started = Date.now()
    const hit = this.cache.get(hash)
    if (hit !== undefined && started - hit.fetchedAt < this.cacheTtlMs) return hit.record
    const generation = this.generation
    const record = await findTokenByHash(this.db, hash)
    this.cache.delete(hash)
    if (record !== undefined && this.cacheTtlMs > 0 && generation === this.generation) {
      // Aged from when the read started: the bound holds from the state the read saw.
      this.cache.set(hash, { record, fetchedAt: started })
      if (this.cache.size > CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value as string)
    }
    return record
  }

  private useDue (tokenId: string, now: number): boolean {
    const last = this.touched.get(tokenId)
    return last === undefined || now - last >= TOUCH_INTERVAL_MS
  }

  private async recordUse (tokenId: string): Promise<void> {
    const now = Date.now()
    if (!this.useDue(tokenId, now)) return
    this.touched.set(tokenId, now)
    await touchToken(this.db, tokenId)
  }

  async create (organizationName: string, options: TokenOptions = {}): Promise<CreatedToken> {
    const scopes = expandScopes(options.scopes ?? FULL_ACCESS)
    const expiresAt = options.expiresAt ?? null
    const organization = await ensureOrganization(this.db, organizationName)
    const token = generateToken()
    const id = await insertToken(this.db, {
      organizationId: organization.id, tokenHash: hashToken(token), label: options.label ?? null, scopes, expiresAt, createdAt: new Date(this.clock())
    })
    return { id, token, organization, scopes, expiresAt }
  }

  /**
   * A new token with the same organization, scopes and label; the old one keeps working
   * until the grace period ends (or its own expiry, if sooner), so a client can be
   * reconfigured without an outage. A token is rotated at most once: rotate its successor
   * next time.
   */
  async rotate (id: string, options: RotateOptions): Promise<RotatedToken> {
    if (!UUID_PATTERN.test(id)) throw new TokenRotationError(`No token with id ${id}.`)
    try {
      return await this.rotateToken(id, options)
    } finally {
      // The old token's expiry changed (its grace period).
      this.invalidate(id)
    }
  }

  private async rotateToken (id: string, options: RotateOptions): Promise<RotatedToken> {
    const now = this.clock()
    const token = generateToken()
    try {
      return await this.db.transaction().execute(async trx => {
        const old = await lockTokenById(trx, id)
        if (old === undefined) throw new TokenRotationError(`No token with id ${id}.`)
        if (old.revokedAt !== null) throw new TokenRotationError(`Token ${id} is revoked; create a new one instead.`)
        if (old.expiresAt !== null && old.expiresAt.getTime() <= now) throw new TokenRotationError(`Token ${id} has expired; create a new one instead.`)
        if (old.label === CONFIGURED_TOKEN_LABEL) {
          throw new TokenRotationError(`Token ${id} comes from SCIM_BEARER_TOKEN: change that setting instead (the previous value stops working at the next start).`)
        }
        const successor = await findSuccessorId(trx, id)
        if (successor !== undefined) throw alreadyRotated(id, successor)
        const lifetime = old.expiresAt === null ? null : old.expiresAt.getTime() - old.createdAt.getTime()
        const expiresAt = options.expiresAt !== undefined ? options.expiresAt : lifetime === null ? null : new Date(now + lifetime)
        const newId = await insertToken(trx, {
          organizationId: old.organizationId, tokenHash: hashToken(token), label: old.label, scopes: old.scopes, expiresAt, createdAt: new Date(now), rotatedFrom: old.id
        })
        const graceEnd = now + Math.max(0, options.graceMs)
        const worksUntil = new Date(old.expiresAt === null ? graceEnd : Math.min(graceEnd, old.expiresAt.getTime()))
        await setTokenExpiry(trx, old.id, worksUntil)
        return { id: newId, token, scopes: old.scopes, expiresAt, previous: { id: old.id, worksUntil } }
      })
    } catch (error) {
      // Two rotations of one token at once: the unique successor constraint lets one win.
      if (isConstraintViolation(error, 'api_tokens__rotated_from__key')) throw alreadyRotated(id)
      throw error
    }
  }

  /**
   * Start-up provisioning: SCIM_BEARER_TOKEN is accepted for `default` with every scope;
   * without it, a first start with no token at all creates one (every scope too) and returns
   * it so it can be printed once.
   */
  async bootstrap (configuredToken: string | undefined): Promise<CreatedToken | undefined> {
    if (configuredToken !== undefined) {
      // Changing SCIM_BEARER_TOKEN rotates it: the value configured before stops working.
      const organization = await ensureOrganization(this.db, DEFAULT_ORGANIZATION)
      const hash = hashToken(configuredToken)
      await this.db.transaction().execute(async trx => {
        await ensureToken(trx, organization.id, hash, CONFIGURED_TOKEN_LABEL, FULL_ACCESS)
        await revokeLabelledTokensExcept(trx, organization.id, CONFIGURED_TOKEN_LABEL, hash)
      })
      this.invalidate()
      return undefined
    }
    if (await countTokens(this.db) > 0) return undefined
    return this.create(DEFAULT_ORGANIZATION, { label: 'created on first start', scopes: FULL_ACCESS })
  }

  list (organizationName?: string): Promise<ApiTokenRecord[]> {
    return listTokens(this.db, organizationName)
  }

  async revoke (id: string): Promise<boolean> {
    if (!UUID_PATTERN.test(id)) return false
    try {
      return await revokeToken(this.db, id)
    } finally {
      this.invalidate(id)
    }
  }
}

function alreadyRotated (id: string, successor?: string): TokenRotationError {
  const to = successor === undefined ? '' : ` (to ${successor})`
  return new TokenRotationError(`Token ${id} was rotated already${to}: rotate its successor instead.`)
}
