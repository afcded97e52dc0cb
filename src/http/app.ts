/**
 * Builds the Fastify application; never listens (server.ts does). Plugins load in a fixed
 * order: authorization first (it must see every route as it is registered), then
 * infrastructure (logging, parsing, validation, errors, docs), then routes.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { API_BASE_PATH, SCIM_BASE_PATH, type Config } from '../config.js'
import type { Db, DatabaseHandle, PoolStats } from '../db/database.js'
import { EVENT_CHANGES_CHANNEL } from '../repositories/event.repository.js'
import { TOKEN_CHANGES_CHANNEL } from '../repositories/token.repository.js'
import { EventDeliveryService } from '../services/event-delivery.service.js'
import { startEventPruning } from '../services/event-retention.js'
import { createServices, type Services } from '../services/services.js'
import { registerAuthorization } from './plugins/auth.js'
import { registerContentTypes } from './plugins/content-type.js'
import { ScimError } from '../scim/errors.js'
import { registerErrorHandler, sendScimError } from './plugins/error-handler.js'
import { createMetrics, registerMetrics, type Metrics } from './plugins/metrics.js'
import { registerOpenApi } from './plugins/openapi.js'
import { createLifecycle, registerShutdownHandling } from './plugins/shutdown.js'
import { REDACTED_LOG_PATHS, registerRequestLog } from './plugins/request-log.js'
import { registerValidation } from './plugins/validation.js'
import { EventStreams } from './event-stream.js'
import { registerEventRoutes } from './routes/events.routes.js'
import { registerHealthRoutes } from './routes/health.routes.js'
import { registerReceiverRoutes } from './routes/receivers.routes.js'
import { registerScimRoutes } from './routes/scim.routes.js'
import { CONSOLE_BUILD_DIR, registerConsole } from './console/console.plugin.js'

/** Longest path parameter (a resource id); ids are UUIDs, externalIds are not in paths. */
const MAX_PARAM_LENGTH = 200

export interface AppDeps {
  readonly db: Db
  readonly services?: Services
  /** Where log lines go (tests capture them); stdout by default. */
  readonly logStream?: DestinationStream
  /** Postgres notifications (DatabaseHandle.listen): token changes made by other instances. */
  readonly listen?: DatabaseHandle['listen']
  /** The pool's figures for /metrics (real Postgres). */
  readonly poolStats?: () => PoolStats
  readonly metrics?: Metrics
  /** The built admin console (index.html and assets/); dist/console by default. */
  readonly consoleRoot?: string
}

/** How long start-up waits for the token-change subscription before serving without it (it retries). */
const SUBSCRIBE_WAIT_MS = 2000

export async function buildApp (config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const services = deps.services ?? createServices(deps.db, config)
  const metrics = deps.metrics ?? createMetrics(deps.poolStats)
  services.groups.observeMembershipChanges(metrics.membershipChanged)
  const app = Fastify({
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
      ...(deps.logStream !== undefined ? { stream: deps.logStream } : {})
    },
    // One line per request is written by the request-log plugin instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // /Bulk sets its own limit (BULK_MAX_PAYLOAD_BYTES) on its route.
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    // Explicit server timeouts: a slow or stuck client cannot hold a socket forever.
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    requestTimeout: 120_000,
    // Requests that reach an already open connection during shutdown are still served, with
    // `Connection: close` (plugins/shutdown.ts); idle keep-alive sockets are closed at once.
    return503OnClosing: false,
    // Malformed percent-encoding and over-long path segments (ids) are answered by the
    // router before any hook runs: give them the SCIM error body like everything else.
    frameworkErrors: (error, _request, reply) => {
      void sendScimError(reply, error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new ScimError(414, `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`)
        : ScimError.badRequest('The request path is not valid percent-encoded UTF-8.'))
    },
    forceCloseConnections: 'idle',
    routerOptions: {
      maxParamLength: MAX_PARAM_LENGTH,
      // Collections call /Users/ and /users (RFC 7644 does not make paths case-sensitive).
      ignoreTrailingSlash: true,
      caseSensitive: false
    }
  })

  registerAuthorization(app, services.tokens)
  const lifecycle = createLifecycle(config.shutdownTimeoutMs)
  registerShutdownHandling(app, lifecycle)
  registerContentTypes(app)
  registerValidation(app)
  registerErrorHandler(app, { onDatabaseFailure: metrics.databaseFailed })
  registerRequestLog(app)
  await registerOpenApi(app)
  // After the OpenAPI plugin, which documents only routes declared after it.
  registerMetrics(app, metrics, config)

  if (deps.listen !== undefined && config.tokenCacheTtlMs > 0) {
    const tokens = services.tokens
    const subscription = deps.listen({
      channel: TOKEN_CHANGES_CHANNEL,
      onNotification: id => { tokens.invalidate(id === '' ? undefined : id) },
      // (Re)subscribed: changes made meanwhile were not heard, so nothing cached is trusted.
      onReady: () => { tokens.invalidate() }
    })
    app.addHook('onClose', async () => { await subscription.close() })
    const waited = await Promise.race([subscription.ready, new Promise<boolean>(resolve => setTimeout(resolve, SUBSCRIBE_WAIT_MS, false).unref())])
    // Revocations still take effect within TOKEN_CACHE_TTL_MS until the subscription is up.
    if (!waited) app.log.warn('not subscribed to token changes yet; revocations by other instances apply within TOKEN_CACHE_TTL_MS')
  }

  wireEventWakeups(app, services, deps.listen)
  const positioner = services.positioner
  // Every write records its events before it answers, so they are committed by now.
  app.addHook('onResponse', (request, _reply, done) => {
    if (request.routeOptions.config.scope === 'scim:write' && request.organization !== undefined) positioner.soon()
    done()
  })
  positioner.reportErrorsTo(error => {
    app.log.warn({ err: error }, 'could not give new events their feed positions; trying again at the next write, read or poll')
  })
  app.addHook('onReady', async () => { positioner.startSweeping(config.eventsPollIntervalMs) })
  app.addHook('onClose', async () => { await positioner.stop() })
  const streams = new EventStreams({
    feed: services.events,
    wakeups: services.wakeups,
    pollIntervalMs: config.eventsPollIntervalMs,
    heartbeatMs: config.eventStreamHeartbeatMs,
    onError: error => { app.log.error({ err: error }, 'event stream failed') }
  })
  // Before the server closes: open streams would otherwise keep it waiting until the timeout.
  app.addHook('preClose', async () => { streams.closeAll() })
  const pruner = startEventPruning(deps.db, config.eventRetentionDays, {
    pruned: count => { app.log.info({ count, retentionDays: config.eventRetentionDays }, 'pruned old events') },
    failed: error => { app.log.warn({ err: error }, 'pruning old events failed; retrying in an hour') }
  })
  app.addHook('onClose', async () => { await pruner.stop() })
  startEventDelivery(app, config, services, deps.db)

  registerHealthRoutes(app, deps.db, lifecycle)
  await app.register(async scope => {
    registerEventRoutes(scope, services, streams)
    registerReceiverRoutes(scope, services)
  }, { prefix: API_BASE_PATH })
  await app.register(async scope => registerScimRoutes(scope, { config, services, lifecycle, metrics }), { prefix: SCIM_BASE_PATH })
  await app.register(async scope => { await registerConsole(scope, { root: deps.consoleRoot ?? CONSOLE_BUILD_DIR }) })
  return app
}

/**
 * Streams and delivery wake when an organization's feed advances on any instance: the
 * positioning transaction notifies `scim_events` (EventPositioner). A (re)subscription wakes everyone, since notifications
 * sent while it was down are gone. Without LISTEN (embedded Postgres) they poll.
 */
function wireEventWakeups (app: FastifyInstance, services: Services, listen: DatabaseHandle['listen'] | undefined): void {
  if (listen === undefined) return
  const subscription = listen({
    channel: EVENT_CHANGES_CHANNEL,
    onNotification: organizationId => { services.wakeups.notify(organizationId === '' ? undefined : organizationId) },
    onReady: () => { services.wakeups.notify() }
  })
  app.addHook('onClose', async () => { await subscription.close() })
}

/**
 * Push delivery runs on every instance where it can sign: the SETs' issuer and JWKS location
 * are built from PUBLIC_BASE_URL, so without it nothing is pushed (and no receiver can be
 * registered). Stopped before the pool closes; what it was pushing goes out again later.
 */
function startEventDelivery (app: FastifyInstance, config: Config, services: Services, db: Db): void {
  if (config.publicBaseUrl === undefined) return
  const delivery = new EventDeliveryService(db, services.keys, services.wakeups, {
    publicBaseUrl: config.publicBaseUrl,
    maxAttempts: config.eventDeliveryMaxAttempts,
    retryBaseMs: config.eventDeliveryRetryBaseMs,
    timeoutMs: config.eventDeliveryTimeoutMs,
    allowPrivate: config.eventReceiversAllowPrivate,
    pollIntervalMs: config.eventsPollIntervalMs
  }, {
    delivered: d => { app.log.debug({ receiver: d.receiverId, seq: d.seq }, 'event delivered') },
    failed: (d, outcome, gaveUp) => {
      app.log.warn({ receiver: d.receiverId, seq: d.seq, attempt: d.attempts + 1, outcome: outcome.kind, error: 'error' in outcome ? outcome.error : undefined, gaveUp },
        gaveUp ? 'event delivery failed; receiver marked failing' : 'event delivery failed')
    },
    crashed: error => { app.log.error({ err: error }, 'event delivery round failed') }
  })
  app.addHook('onReady', async () => { delivery.start() })
  app.addHook('preClose', async () => { await delivery.stop() })
}
