/**
 * `GET /metrics` in the Prometheus text format (prom-client): requests by route and status
 * with latency histograms, the database pool (in use, idle, waiting), database errors and
 * timeouts, requests refused by the fair-share limits, committed membership changes, and
 * Node's own figures (event-loop delay, heap, GC). Each application has its own registry.
 *
 * With METRICS_TOKEN set the endpoint requires `Authorization: Bearer <METRICS_TOKEN>`; without
 * it, it is open (bind it to an internal interface or set the token). Labels never carry
 * organizations, ids or paths with ids: only route patterns, methods and statuses.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import client from 'prom-client'
import type { Config } from '../../config.js'
import type { PoolStats } from '../../db/database.js'
import type { DatabaseFailure } from '../../db/database-errors.js'
import { ScimError } from '../../scim/errors.js'
import { isBulkOperation } from '../bulk-dispatch.js'
import type { LimitKind } from './fair-share.js'

export interface Metrics {
  readonly registry: client.Registry
  databaseFailed (kind: DatabaseFailure | 'other'): void
  limited (kind: LimitKind): void
  membershipChanged (rows: number): void
}

export function createMetrics (poolStats: (() => PoolStats) | undefined): Metrics {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry })
  const databaseErrors = new client.Counter({
    name: 'scim_database_errors_total',
    help: 'Requests failed by the database: timeout (connect, acquire, query or statement deadline), unavailable, other',
    labelNames: ['kind'],
    registers: [registry]
  })
  const limitedRequests = new client.Counter({
    name: 'scim_rate_limited_requests_total',
    help: 'Requests refused with 429 by the per-organization limits (concurrency or rate)',
    labelNames: ['limit'],
    registers: [registry]
  })
  const membershipChanges = new client.Counter({
    name: 'scim_group_membership_changes_total',
    help: 'Group membership rows added or removed (committed)',
    registers: [registry]
  })
  if (poolStats !== undefined) {
    new client.Gauge({
      name: 'scim_database_pool_connections',
      help: 'Pooled database connections by state',
      labelNames: ['state'],
      registers: [registry],
      collect () {
        const stats = poolStats()
        this.set({ state: 'in_use' }, stats.total - stats.idle)
        this.set({ state: 'idle' }, stats.idle)
      }
    })
    new client.Gauge({
      name: 'scim_database_pool_waiting',
      help: 'Requests waiting for a pooled database connection',
      registers: [registry],
      collect () { this.set(poolStats().waiting) }
    })
  }
  return {
    registry,
    databaseFailed: kind => { databaseErrors.inc({ kind }) },
    limited: kind => { limitedRequests.inc({ limit: kind }) },
    membershipChanged: rows => { membershipChanges.inc(rows) }
  }
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest()

export function registerMetrics (app: FastifyInstance, metrics: Metrics, config: Config): void {
  const labelNames = ['method', 'route', 'status'] as const
  const requests = new client.Counter({ name: 'scim_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [metrics.registry] })
  const duration = new client.Histogram({
    name: 'scim_http_request_duration_seconds',
    help: 'Time from request to response',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metrics.registry]
  })
  app.addHook('onResponse', (request, reply, done) => {
    // Bulk operations are not HTTP requests of their own; the /Bulk request is counted.
    if (!isBulkOperation(request)) {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }
      requests.inc(labels)
      duration.observe(labels, reply.elapsedTime / 1000)
    }
    done()
  })

  const expected = config.metricsToken === undefined ? undefined : sha256(`Bearer ${config.metricsToken}`)
  app.get('/metrics', {
    // Not an organization's route: no org token; METRICS_TOKEN (when set) is checked below.
    config: { scope: 'public' },
    schema: {
      tags: ['health'],
      summary: 'Operational metrics (Prometheus text format)',
      description: 'Requires `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set.',
      produces: ['text/plain']
    }
  }, async (request, reply) => {
    if (expected !== undefined && !timingSafeEqual(sha256(request.headers.authorization ?? ''), expected)) {
      throw ScimError.unauthorized('Send Authorization: Bearer <METRICS_TOKEN>.')
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}
