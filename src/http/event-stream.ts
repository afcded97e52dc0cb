/**
 * GET /api/v1/events/stream: the change feed as Server-Sent Events (WHATWG HTML §9.2). Each
 * event's `id` is its cursor, so a client that reconnects with `Last-Event-ID` (EventSource
 * does this by itself) resumes right after the last event it received: nothing lost, nothing
 * repeated beyond what was in flight (at least once).
 *
 * Where events come from: the event table, read in pages after the connection's cursor,
 * never an in-process emitter, so a stream sees events written by any instance. It reads
 * again when woken (by this instance's positioner, or by the Postgres notification on
 * `scim_events` that another instance's positioning sends: services/event-positioner.ts) or
 * after EVENTS_POLL_INTERVAL_MS without one: wake-ups make it prompt, polling makes it
 * complete when a notification is lost (the listener reconnecting).
 *
 * Memory per connection is one page of STREAM_PAGE events (each event holds at most 1000
 * member ids of each kind, migration 0007), and a page is read only once the socket has taken
 * the previous one (backpressure). Idle streams get a comment line every
 * EVENT_STREAM_HEARTBEAT_MS. Shutdown ends every stream, so the server can close.
 */
import { once } from 'node:events'
import type { FastifyReply } from 'fastify'
import type { ServerResponse } from 'node:http'
import type { EventFeedService, EventFilter } from '../services/event-feed.service.js'
import { encodeEventCursor, toChangeEvent } from '../services/event-feed.service.js'
import type { EventWakeups } from '../services/event-wakeups.js'

const STREAM_PAGE = 20
/** What EventSource waits before reconnecting (ms), sent as `retry`. */
const RECONNECT_MS = 2000

export interface StreamOptions {
  readonly feed: EventFeedService
  readonly wakeups: EventWakeups
  readonly pollIntervalMs: number
  readonly heartbeatMs: number
  readonly onError: (error: unknown) => void
}

/** Open streams of one application, ended together on shutdown. */
export class EventStreams {
  private readonly open = new Set<AbortController>()
  private closed = false

  constructor (private readonly options: StreamOptions) {}

  get size (): number { return this.open.size }

  /** Ends every stream and refuses new ones. */
  closeAll (): void {
    this.closed = true
    for (const controller of this.open) controller.abort()
  }

  /** Takes over the reply and streams from `after` (a position) until the client or the server goes. */
  async serve (reply: FastifyReply, organizationId: string, after: string, filter: EventFilter): Promise<void> {
    const controller = new AbortController()
    const res = reply.raw
    reply.hijack()
    // A stream holds its connection to the end; closing it then lets shutdown finish at once
    // (a kept-alive socket would wait for the server's idle sweep).
    res.shouldKeepAlive = false
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies that buffer (nginx) must pass each event on at once.
      'x-accel-buffering': 'no'
    })
    if (this.closed) {
      res.end()
      return
    }
    this.open.add(controller)
    res.on('close', () => { controller.abort() })
    const heartbeat = setInterval(() => { if (res.writableLength === 0) res.write(': heartbeat\n\n') }, this.options.heartbeatMs)
    heartbeat.unref()
    try {
      res.write(`retry: ${RECONNECT_MS}\n\n`)
      await this.pump(res, organizationId, after, filter, controller.signal)
    } catch (error) {
      if (!controller.signal.aborted) this.options.onError(error)
    } finally {
      clearInterval(heartbeat)
      this.open.delete(controller)
      res.end()
    }
  }

  private async pump (res: ServerResponse, organizationId: string, start: string, filter: EventFilter, signal: AbortSignal): Promise<void> {
    let after = start
    while (!signal.aborted) {
      const records = await this.options.feed.read(organizationId, after, STREAM_PAGE, filter)
      for (const record of records) {
        if (signal.aborted) return
        const chunk = `id: ${encodeEventCursor(record.position)}\nevent: change\ndata: ${JSON.stringify(toChangeEvent(record))}\n\n`
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(signal, 'abort')])
        after = record.position
      }
      if (records.length < STREAM_PAGE) await this.options.wakeups.wait(organizationId, this.options.pollIntervalMs, signal)
    }
  }
}
