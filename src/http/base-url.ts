import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SCIM_BASE_PATH, type Config } from '../config.js'
import { ScimError } from '../scim/errors.js'

/**
 * An RFC 3986 authority as a Host header may carry it: a registered name or IPv4 address,
 * or a bracketed IPv6 literal, with an optional port. Nothing else (no userinfo, path,
 * spaces, quotes) may end up in a URL the service hands out.
 */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

export function isValidHostHeader (host: string | undefined): boolean {
  return host !== undefined && host.length <= 255 && HOST_HEADER.test(host)
}

/**
 * The absolute SCIM base URL for `Location` and `meta.location`: PUBLIC_BASE_URL when
 * configured (behind a proxy that rewrites hosts), otherwise the request's own host, which
 * `requireValidHost` has checked before any work was done.
 */
export function scimBaseUrl (request: FastifyRequest, config: Config): string {
  const origin = config.publicBaseUrl ?? `${request.protocol}://${request.host}`
  return origin + SCIM_BASE_PATH
}

/**
 * Without PUBLIC_BASE_URL, a SCIM request whose Host is missing (HTTP/1.0) or malformed is
 * 400 before anything runs: its URLs could only be built from that header, and a request
 * must not succeed (a user created) and then fail on its Location. Relative URLs are not an
 * option: RFC 7643 §3.1 makes `meta.location` the resource's absolute URI.
 */
export function requireValidHost (scope: FastifyInstance, config: Config): void {
  if (config.publicBaseUrl !== undefined) return
  scope.addHook('onRequest', (request, _reply, done) => {
    if (isValidHostHeader(request.host)) done()
    else done(ScimError.badRequest('The Host header is missing or malformed; send the host name the service is reached at (or configure PUBLIC_BASE_URL).'))
  })
}
