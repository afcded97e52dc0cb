/**
 * Postgres LISTEN on one dedicated connection (a pooled one would be handed to queries and
 * drop the subscription). If the connection fails it is opened again after `retryMs`;
 * `onReady` runs after every (re)subscription, since notifications sent while it was down
 * are gone and the subscriber must assume it missed some.
 *
 * Embedded Postgres needs none of this: one process owns the data directory, so every change
 * is made in-process and the services invalidate their own caches.
 */
import pg from 'pg'

export interface Subscription {
  /** Settles after the first attempt: true once subscribed, false if that attempt failed (it retries). */
  readonly ready: Promise<boolean>
  /** Stops listening and closes the connection. */
  close (): Promise<void>
}

export interface ListenOptions {
  readonly channel: string
  readonly onNotification: (payload: string) => void
  readonly onReady: () => void
  readonly retryMs?: number
}

/** `channel` is a constant of the code (an SQL identifier), never input. */
export function listenPostgres (connectionString: string, options: ListenOptions): Subscription {
  const retryMs = options.retryMs ?? 1000
  let closed = false
  let client: pg.Client | undefined
  let timer: NodeJS.Timeout | undefined
  let settle: (subscribed: boolean) => void = () => {}
  const ready = new Promise<boolean>(resolve => { settle = resolve })

  const retry = (): void => {
    if (closed || timer !== undefined) return
    timer = setTimeout(() => { timer = undefined; void connect() }, retryMs)
    timer.unref()
  }

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString })
    client = next
    // Both fire when the server or network drops the connection; either way: start over.
    next.on('error', () => { void next.end().catch(() => {}); retry() })
    next.on('end', retry)
    next.on('notification', message => { if (message.channel === options.channel) options.onNotification(message.payload ?? '') })
    try {
      await next.connect()
      await next.query(`listen ${pg.escapeIdentifier(options.channel)}`)
      if (closed) {
        await next.end()
        return
      }
      options.onReady()
      settle(true)
    } catch {
      settle(false)
      await next.end().catch(() => {})
      retry()
    }
  }

  void connect()
  return {
    ready,
    async close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      await client?.end().catch(() => {})
    }
  }
}
