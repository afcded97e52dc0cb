/**
 * One asymmetric signing key per organization (ES256: P-256 ECDSA, small signatures, in
 * every JOSE library), created when first needed and kept in Postgres so every instance
 * signs with the same key. The private half is read only to sign; nothing returns it. The
 * public halves are published as the organization's JWKS (RFC 7517).
 */
import { calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose'
import type { Db } from '../db/database.js'
import { findCurrentSigningKey, insertSigningKey, listPublicKeys } from '../repositories/signing-key.repository.js'
import { ScimError } from '../scim/errors.js'
import { SECEVENT_TYP, type SetClaims } from '../scim/security-event.js'

const ALGORITHM = 'ES256'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface LoadedKey { readonly kid: string, readonly algorithm: string, readonly key: CryptoKey }

export class SigningKeyService {
  private readonly loaded = new Map<string, Promise<LoadedKey>>()

  constructor (private readonly db: Db) {}

  /** A compact JWS of the claims with the organization's current key, `typ` secevent+jwt. */
  async signSet (organizationId: string, claims: SetClaims): Promise<string> {
    const { kid, algorithm, key } = await this.currentKey(organizationId)
    return await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: algorithm, kid, typ: SECEVENT_TYP })
      .sign(key)
  }

  /** The JWKS of an organization given by id (a public route): 404 when there is no such organization. */
  async publishedKeys (organizationId: string): Promise<{ keys: JWK[] }> {
    const exists = UUID.test(organizationId) && await this.db.selectFrom('organizations').select('id').where('id', '=', organizationId).executeTakeFirst() !== undefined
    if (!exists) throw ScimError.notFound('No such organization.')
    return await this.jwks(organizationId)
  }

  /** The organization's JWKS: public keys only, each with its kid, alg and use. */
  async jwks (organizationId: string): Promise<{ keys: JWK[] }> {
    await this.currentKey(organizationId)
    const keys = await listPublicKeys(this.db, organizationId)
    return { keys: keys.map(k => ({ ...publicOnly(k.publicJwk), kid: k.kid, alg: k.algorithm, use: 'sig' })) }
  }

  private async currentKey (organizationId: string): Promise<LoadedKey> {
    let loading = this.loaded.get(organizationId)
    if (loading === undefined) {
      loading = this.loadOrCreate(organizationId)
      this.loaded.set(organizationId, loading)
      loading.catch(() => { this.loaded.delete(organizationId) })
    }
    return await loading
  }

  private async loadOrCreate (organizationId: string): Promise<LoadedKey> {
    let stored = await findCurrentSigningKey(this.db, organizationId)
    if (stored === undefined) {
      const pair = await generateKeyPair(ALGORITHM, { extractable: true })
      const publicJwk = await exportJWK(pair.publicKey)
      const privateJwk = await exportJWK(pair.privateKey)
      const kid = await calculateJwkThumbprint(publicJwk)
      // Another instance may create one at the same moment: the first stored wins for both.
      await insertSigningKey(this.db, organizationId, { kid, algorithm: ALGORITHM, publicJwk: { ...publicJwk }, privateJwk: { ...privateJwk } })
      stored = await findCurrentSigningKey(this.db, organizationId)
      if (stored === undefined) throw new Error('signing key vanished after insert')
    }
    const key = await importJWK(stored.privateJwk as JWK, stored.algorithm)
    return { kid: stored.kid, algorithm: stored.algorithm, key: key as CryptoKey }
  }
}

/** The public members of an EC or RSA JWK (never `d` or the RSA private factors). */
function publicOnly (jwk: Record<string, unknown>): JWK {
  const { kty, crv, x, y, n, e } = jwk as Record<string, string | undefined>
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined)) as JWK
}
