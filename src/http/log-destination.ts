/**
 * Where the server's log lines go: stdout, buffered. pino's default destination writes every
 * line with its own synchronous system call, on the request's path; under load that was a
 * visible share of the service's CPU (bench/results/compare.md, profile in the README). Here
 * lines collect in memory and are written asynchronously in blocks of at least
 * `minLength` bytes, and at least every `intervalMs` when traffic is low, so a line reaches
 * stdout within a second either way.
 *
 * Nothing is lost on a clean exit: server.ts awaits `flush()` after the app has closed (every
 * request's line is written by then) and before the process exits. On any other exit
 * (`process.exit`, an uncaught exception) the `exit` handler writes what is still buffered
 * synchronously; only a line in the middle of an asynchronous write when the process is
 * killed can be lost.
 */
import pino, { type DestinationStream } from 'pino'

export interface LogDestination {
  readonly stream: DestinationStream
  /** Resolves once everything logged so far has been written. */
  flush (): Promise<void>
}

export function createLogDestination (options: { fd?: number, minLength?: number, intervalMs?: number } = {}): LogDestination {
  const boom = pino.destination({ dest: options.fd ?? 1, sync: false, minLength: options.minLength ?? 4096 })
  const timer = setInterval(() => { boom.flush() }, options.intervalMs ?? 1000)
  timer.unref()
  process.once('exit', () => {
    try {
      boom.flushSync()
    } catch {
      // Not open yet, or already closed: nothing left that could be written.
    }
  })
  return {
    stream: boom,
    // The callback comes once the buffer is written; its error is the fsync that follows,
    // which pipes and terminals refuse (EINVAL): the lines are out either way.
    flush: () => new Promise<void>(resolve => { boom.flush(() => { resolve() }) })
  }
}
