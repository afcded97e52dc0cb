/**
 * Security Event Tokens for SCIM changes: RFC 8417 claims with the events of RFC 9967 (the
 * SCIM profile for SETs). Pure: the caller signs (JWS, RFC 7515) and delivers (RFC 8935).
 *
 * The notice forms are sent: they name the attributes that changed and the resource's
 * version, and the receiver reads the resource if it needs its values. The full forms would
 * have to carry the resource as it was at that change, which the feed does not keep (and a
 * group's member list can be millions long).
 */

export const SCIM_EVENT_URIS = {
  create: 'urn:ietf:params:scim:event:prov:create:notice',
  replace: 'urn:ietf:params:scim:event:prov:put:notice',
  patch: 'urn:ietf:params:scim:event:prov:patch:notice',
  delete: 'urn:ietf:params:scim:event:prov:delete'
} as const

/** Media type of a SET on the wire (RFC 8417 §2.3, RFC 8935 §2). */
export const SECEVENT_MEDIA_TYPE = 'application/secevent+jwt'
/** The JWS `typ` header of a SET (RFC 8417 §2.3). */
export const SECEVENT_TYP = 'secevent+jwt'

export interface ScimChangeForSet {
  /** Unique per issuer; the same on every retry, so a receiver can drop duplicates (RFC 8935 §2). */
  readonly jti: string
  readonly resourceType: 'User' | 'Group'
  readonly resourceId: string
  readonly operation: keyof typeof SCIM_EVENT_URIS
  readonly version: number | null
  readonly attributes: readonly string[]
  readonly occurredAt: Date
  readonly requestId: string | null
}

export interface SetClaims {
  readonly [claim: string]: unknown
}

const ENDPOINTS = { User: 'Users', Group: 'Groups' } as const

/** The SET's claims (everything but the signature's header). */
export function buildSetClaims (change: ScimChangeForSet, issuer: string, audience: string, issuedAt: Date): SetClaims {
  const uri = SCIM_EVENT_URIS[change.operation]
  const payload: Record<string, unknown> = {}
  if (change.operation !== 'delete') payload.attributes = [...change.attributes]
  if (change.version !== null) payload.version = `W/"${change.version}"`
  return {
    iss: issuer,
    iat: Math.floor(issuedAt.getTime() / 1000),
    jti: change.jti,
    aud: audience,
    // RFC 8417 §2.2: when the event happened, as distinct from when the SET was issued.
    toe: Math.floor(change.occurredAt.getTime() / 1000),
    ...(change.requestId !== null ? { txn: change.requestId } : {}),
    sub_id: { format: 'scim', uri: `/${ENDPOINTS[change.resourceType]}/${change.resourceId}`, id: change.resourceId },
    events: { [uri]: payload }
  }
}

/** The organization's SET issuer and the JWKS published under it: one base, so they agree. */
export function issuerOf (publicBaseUrl: string, organizationId: string): string {
  return `${publicBaseUrl}/api/v1/organizations/${organizationId}`
}

export function jwksUrlOf (issuer: string): string {
  return `${issuer}/jwks.json`
}
