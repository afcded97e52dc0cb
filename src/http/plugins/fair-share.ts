/**
 * Fair sharing between organizations on one instance: each organization may have at most
 * ORG_MAX_CONCURRENT_REQUESTS requests in progress (so one tenant's slow filters cannot hold
 * every pooled database connection while another tenant's lookups wait) and at most
 * RATE_LIMIT_PER_MINUTE requests per minute (@fastify/rate-limit). Either is answered with 429,
 * `Retry-After` and a SCIM error body; `0` turns a limit off.
 *
 * Registered inside the authenticated scope, after authentication: the key is the
 * organization the token belongs to. The operations of a /Bulk run inside their parent
 * request, which already holds a slot and was counted once; they are not counted again.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { ScimError } from '../../scim/errors.js'
import { isBulkOperation } from '../bulk-dispatch.js'

/** A slot frees as soon as a request ends: a second is plenty. */
const CONCURRENCY_RETRY_AFTER_SECONDS = 1

export type LimitKind = 'concurrency' | 'rate'

export interface FairShareOptions {
  /** Told about each refused request (metrics). */
  readonly onLimited?: (kind: LimitKind) => void
}

function organizationKey (request: FastifyRequest): string {
  return request.organization?.id ?? `ip:${request.ip}`
}

function registerConcurrencyLimit (scope: FastifyInstance, limit: number, options: FairShareOptions): void {
  const inFlight = new Map<string, number>()
  const releases = new WeakMap<FastifyReply, () => void>()
  scope.addHook('onRequest', async (request, reply) => {
    if (isBulkOperation(request)) return
    const key = organizationKey(request)
    const current = inFlight.get(key) ?? 0
    if (current >= limit) {
      options.onLimited?.('concurrency')
      throw ScimError.tooManyRequests(
        `This organization already has ${limit} requests in progress (ORG_MAX_CONCURRENT_REQUESTS); retry when one has finished.`,
        CONCURRENCY_RETRY_AFTER_SECONDS
      )
    }
    inFlight.set(key, current + 1)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      const left = (inFlight.get(key) ?? 1) - 1
      if (left <= 0) inFlight.delete(key)
      else inFlight.set(key, left)
    }
    releases.set(reply, release)
    // 'close' comes when the response is done or the client went away, whichever first.
    reply.raw.once('close', release)
  })
  scope.addHook('onResponse', (_request, reply, done) => { releases.get(reply)?.(); done() })
}

export async function registerFairShare (scope: FastifyInstance, config: Config, options: FairShareOptions = {}): Promise<void> {
  if (config.orgMaxConcurrentRequests > 0) registerConcurrencyLimit(scope, config.orgMaxConcurrentRequests, options)
  if (config.rateLimitPerMinute > 0) {
    await scope.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: 60_000,
      // After authentication (onRequest), before any work.
      hook: 'preHandler',
      keyGenerator: organizationKey,
      allowList: request => isBulkOperation(request),
      errorResponseBuilder: (_request, context) => {
        options.onLimited?.('rate')
        return ScimError.tooManyRequests(
          `This organization sent more than ${context.max} requests in a minute (RATE_LIMIT_PER_MINUTE); retry in ${context.after}.`,
          Math.max(1, Math.ceil(context.ttl / 1000))
        )
      }
    })
  }
}
