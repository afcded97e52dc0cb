/**
 * The real server (src/server.ts) as a child process, for tests of what only a process can
 * show: signals, exit codes, sockets. Started on the test's database: DATABASE_URL from
 * createTestDatabaseUrl on Postgres, a temporary DATA_DIR on embedded Postgres.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'

const SERVER = path.resolve(import.meta.dirname, '../../src/server.ts')
const TS_LOADER = process.execArgv.filter(arg => arg.includes('@tapjs/typescript'))

export interface ServerProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly exit: Promise<number | null>
  stdout (): string
  stderr (): string
}

export async function startServer (env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...TS_LOADER, SERVER], {
    env: { PATH: process.env.PATH, TS_NODE_TRANSPILE_ONLY: '1', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  let err = ''
  child.stderr!.on('data', chunk => { err += String(chunk) })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', chunk => {
      out += String(chunk)
      const match = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (match && out.includes('"msg":"ready"')) resolve(Number(match[1]))
    })
    void exit.then(code => reject(new Error(`server exited with ${code}: ${err}`)))
  })
  return { child, port, exit, stdout: () => out, stderr: () => err }
}

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * A keep-alive HTTP/1.1 connection driven by hand, so a test sees exactly what the server
 * does with the socket (Node's agent hides it).
 */
export class RawConnection {
  private buffer = ''
  private waiting: (() => void) | undefined
  closed = false
  readonly closedPromise: Promise<void>

  private constructor (readonly socket: net.Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { this.buffer += chunk; this.waiting?.() })
    socket.on('error', () => {})
    this.closedPromise = new Promise(resolve => socket.on('close', () => { this.closed = true; this.waiting?.(); resolve() }))
  }

  static open (port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
  }

  write (text: string): void {
    this.socket.write(text)
  }

  /** Reads one response (Content-Length bodies only, which is what the service sends). */
  async readResponse (): Promise<RawResponse> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n')
      if (end >= 0) {
        const [statusLine, ...lines] = this.buffer.slice(0, end).split('\r\n')
        const headers: Record<string, string> = {}
        for (const line of lines) {
          const colon = line.indexOf(':')
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        const length = Number(headers['content-length'] ?? 0)
        if (Buffer.byteLength(this.buffer.slice(end + 4)) >= length) {
          const rest = Buffer.from(this.buffer.slice(end + 4))
          this.buffer = rest.subarray(length).toString()
          return { status: Number(statusLine?.split(' ')[1]), headers, body: rest.subarray(0, length).toString() }
        }
      }
      if (this.closed) throw new Error('connection closed before a whole response arrived')
      await new Promise<void>(resolve => { this.waiting = resolve })
    }
  }

  close (): void {
    this.socket.destroy()
  }
}

/** The request text for one HTTP/1.1 request on a keep-alive connection. */
export function httpRequest (method: string, target: string, headers: Record<string, string>, body = ''): string {
  const all = { host: '127.0.0.1', connection: 'keep-alive', ...headers, ...(body !== '' ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }
  return `${method} ${target} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`
}
