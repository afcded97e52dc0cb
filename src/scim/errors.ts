/**
 * The one error type of the service. Everything the client may see about a failure is in
 * here; the HTTP layer turns it into the RFC 7644 §3.12 error body.
 */

/** `scimType` values defined by RFC 7644 §3.12 (table 9), plus `invalidCursor` from RFC 9865. */
export type ScimErrorType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor'
  | 'tooLarge'

export class ScimError extends Error {
  readonly status: number
  readonly scimType: ScimErrorType | undefined
  /** Extra response headers (for example `WWW-Authenticate` on 401). */
  readonly headers: Readonly<Record<string, string>>

  constructor (status: number, detail: string, scimType?: ScimErrorType, headers: Record<string, string> = {}) {
    super(detail)
    this.name = 'ScimError'
    this.status = status
    this.scimType = scimType
    this.headers = headers
  }

  get detail (): string {
    return this.message
  }

  static invalidFilter (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidFilter')
  }

  static invalidSyntax (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidSyntax')
  }

  static invalidPath (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidPath')
  }

  static invalidValue (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidValue')
  }

  static noTarget (detail: string): ScimError {
    return new ScimError(400, detail, 'noTarget')
  }

  static mutability (detail: string): ScimError {
    return new ScimError(400, detail, 'mutability')
  }

  static invalidVersion (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidVers')
  }

  static invalidCursor (detail: string): ScimError {
    return new ScimError(400, detail, 'invalidCursor')
  }

  static tooMany (detail: string): ScimError {
    return new ScimError(400, detail, 'tooMany')
  }

  static badRequest (detail: string): ScimError {
    return new ScimError(400, detail)
  }

  static unauthorized (detail = 'Authentication is required: send Authorization: Bearer <token>.'): ScimError {
    return new ScimError(401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="scim"' })
  }

  /**
   * RFC 6750 §3.1 `invalid_token`: the credential is unknown, revoked or expired. The
   * description is one of a few fixed phrases, never anything a client sent.
   */
  static invalidToken (detail: string, description: string): ScimError {
    return new ScimError(401, detail, undefined, {
      'WWW-Authenticate': `Bearer realm="scim", error="invalid_token", error_description="${description}"`
    })
  }

  /** RFC 6750 §3.1 `insufficient_scope`: a valid token without the scope the request needs. */
  static insufficientScope (scope: string, detail: string): ScimError {
    return new ScimError(403, detail, undefined, {
      'WWW-Authenticate': `Bearer realm="scim", error="insufficient_scope", scope="${scope}"`
    })
  }

  static forbidden (detail: string): ScimError {
    return new ScimError(403, detail)
  }

  static notFound (detail: string): ScimError {
    return new ScimError(404, detail)
  }

  static uniqueness (detail: string): ScimError {
    return new ScimError(409, detail, 'uniqueness')
  }

  static preconditionFailed (detail = 'The resource has changed: its version does not match If-Match.'): ScimError {
    return new ScimError(412, detail)
  }

  static payloadTooLarge (detail: string, scimType?: ScimErrorType): ScimError {
    return new ScimError(413, detail, scimType)
  }

  static unsupportedMediaType (detail: string): ScimError {
    return new ScimError(415, detail)
  }

  static notImplemented (detail: string): ScimError {
    return new ScimError(501, detail)
  }

  /** 503; `retryAfterSeconds` becomes `Retry-After` (RFC 9110 §10.2.3). */
  static unavailable (detail: string, retryAfterSeconds?: number): ScimError {
    return new ScimError(503, detail, undefined, retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {})
  }

  /** 429; RFC 7644 has no scimType for it, the detail says which limit. */
  static tooManyRequests (detail: string, retryAfterSeconds: number): ScimError {
    return new ScimError(429, detail, undefined, { 'retry-after': String(retryAfterSeconds) })
  }
}

export function isScimError (error: unknown): error is ScimError {
  return error instanceof ScimError
}
