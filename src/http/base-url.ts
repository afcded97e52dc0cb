import type { FastifyRequest } from 'fastify'
import { SCIM_BASE_PATH, type Config } from '../config.js'

/**
 * The absolute SCIM base URL for `Location` and `meta.location`: PUBLIC_BASE_URL when
 * configured (behind a proxy that rewrites hosts), otherwise the request's own host.
 */
export function scimBaseUrl (request: FastifyRequest, config: Config): string {
  const origin = config.publicBaseUrl ?? `${request.protocol}://${request.host}`
  return origin + SCIM_BASE_PATH
}
