/**
 * Graceful shutdown as the README promises it: once shutdown begins (SIGTERM, or app.close()),
 * every response carries `Connection: close`, so keep-alive clients (every IdP keeps a pool)
 * reconnect elsewhere instead of holding this instance open; idle keep-alive sockets are
 * closed by the server's close; requests already on an open connection are still served;
 * `/health/ready` answers 503 so a load balancer stops routing here; and long requests (a
 * /Bulk) learn when to stop starting new work (`workDeadline`), leaving time to answer and
 * to close the pool before SHUTDOWN_TIMEOUT_MS.
 */
import type { FastifyInstance } from 'fastify'

export interface Lifecycle {
  /** When shutdown began (ms since epoch), undefined while serving. */
  readonly closingSince: number | undefined
  /** Marks the start of shutdown; idempotent. */
  beginShutdown (): void
  /** Until when new work may start during shutdown; undefined while serving. */
  workDeadline (): number | undefined
}

/** Time kept back from SHUTDOWN_TIMEOUT_MS to write the last responses and close the pool. */
function reserveMs (shutdownTimeoutMs: number): number {
  return Math.min(2000, Math.floor(shutdownTimeoutMs / 4))
}

export function createLifecycle (shutdownTimeoutMs: number): Lifecycle {
  let closingSince: number | undefined
  return {
    get closingSince () { return closingSince },
    beginShutdown () { closingSince ??= Date.now() },
    workDeadline () {
      return closingSince === undefined ? undefined : closingSince + shutdownTimeoutMs - reserveMs(shutdownTimeoutMs)
    }
  }
}

export function registerShutdownHandling (app: FastifyInstance, lifecycle: Lifecycle): void {
  // app.close() without a signal (tests, embedding) is a shutdown too.
  app.addHook('preClose', async () => { lifecycle.beginShutdown() })
  app.addHook('onSend', (request, reply, payload, done) => {
    if (lifecycle.closingSince !== undefined && request.raw.httpVersionMajor < 2) reply.header('connection', 'close')
    done(null, payload)
  })
}
