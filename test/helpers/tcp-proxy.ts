/**
 * An in-process TCP proxy in front of a real server (Postgres at 127.0.0.1:5432 in the
 * tests), so a test can make the database misbehave without touching the shared server:
 * - pause(): hung. Bytes stop flowing both ways; connections stay open; new connections are
 *   accepted and then hang too (what a SIGSTOPped server or a black-holed network does);
 * - cut(): down. Every connection is reset and new ones are refused (the port stops listening);
 * - restore(): healthy again, on the same port; held bytes flow on.
 */
import net from 'node:net'

interface Pair {
  client: net.Socket
  upstream: net.Socket | undefined
  /** Bytes held while paused, per direction, in order. */
  held: Array<{ to: 'client' | 'upstream', chunk: Buffer }>
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>()
  private server: net.Server
  private paused = false
  private listening = false
  /** Connections accepted since the proxy started. */
  accepted = 0

  private constructor (private readonly target: { host: string, port: number }, public port: number) {
    this.server = this.createServer()
  }

  static async start (target: { host: string, port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0)
    await proxy.listen()
    return proxy
  }

  /** A connection string like `url` but through this proxy. */
  urlFor (url: string): string {
    const parsed = new URL(url)
    parsed.hostname = '127.0.0.1'
    parsed.port = String(this.port)
    return parsed.toString()
  }

  pause (): void {
    this.paused = true
  }

  async cut (): Promise<void> {
    this.paused = false
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy()
      pair.upstream?.destroy()
    }
    this.pairs.clear()
    if (this.listening) {
      this.listening = false
      await new Promise<void>(resolve => this.server.close(() => resolve()))
    }
  }

  async restore (): Promise<void> {
    this.paused = false
    for (const pair of this.pairs) {
      if (pair.upstream === undefined) this.connectUpstream(pair)
      for (const { to, chunk } of pair.held.splice(0)) (to === 'client' ? pair.client : pair.upstream)?.write(chunk)
    }
    if (!this.listening) {
      this.server = this.createServer()
      await this.listen()
    }
  }

  async close (): Promise<void> {
    await this.cut()
  }

  private createServer (): net.Server {
    return net.createServer(client => {
      this.accepted++
      const pair: Pair = { client, upstream: undefined, held: [] }
      this.pairs.add(pair)
      client.on('error', () => {})
      client.on('close', () => {
        pair.upstream?.destroy()
        this.pairs.delete(pair)
      })
      client.on('data', chunk => { this.forward(pair, 'upstream', chunk) })
      if (!this.paused) this.connectUpstream(pair)
    })
  }

  private connectUpstream (pair: Pair): void {
    const upstream = net.connect(this.target.port, this.target.host)
    pair.upstream = upstream
    upstream.on('error', () => { pair.client.destroy() })
    upstream.on('close', () => { pair.client.destroy() })
    upstream.on('data', chunk => { this.forward(pair, 'client', chunk) })
  }

  private forward (pair: Pair, to: 'client' | 'upstream', chunk: Buffer): void {
    const target = to === 'client' ? pair.client : pair.upstream
    if (this.paused || target === undefined || pair.held.length > 0) pair.held.push({ to, chunk })
    else target.write(chunk)
  }

  private async listen (): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.port = (this.server.address() as net.AddressInfo).port
    this.listening = true
  }
}
