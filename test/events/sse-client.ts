/** A small Server-Sent Events reader for tests (WHATWG HTML §9.2 framing: fields, blank line). */
import http from 'node:http'

export interface SseMessage { id?: string, event?: string, data: string }

export interface SseConnection {
  readonly status: number
  readonly contentType: string | undefined
  /** Resolves with the next `n` messages (comments not included). */
  next (n: number): Promise<SseMessage[]>
  /** Resolves once a comment line (heartbeat) arrives. */
  comment (): Promise<string>
  /** Resolves when the server ends the response. */
  readonly ended: Promise<void>
  close (): void
}

export async function connectSse (url: string, headers: Record<string, string>): Promise<SseConnection> {
  return await new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, response => {
      response.setEncoding('utf8')
      const messages: SseMessage[] = []
      const comments: string[] = []
      let buffer = ''
      let wake: () => void = () => {}
      let endResolve: () => void = () => {}
      const ended = new Promise<void>(resolve => { endResolve = resolve })
      response.on('data', (chunk: string) => {
        buffer += chunk
        let boundary: number
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary)
          buffer = buffer.slice(boundary + 2)
          const message: SseMessage = { data: '' }
          let isMessage = false
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) { comments.push(line.slice(1).trim()); continue }
            const colon = line.indexOf(':')
            const field = colon < 0 ? line : line.slice(0, colon)
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
            if (field === 'data') { message.data += (message.data === '' ? '' : '\n') + value; isMessage = true }
            if (field === 'id') message.id = value
            if (field === 'event') message.event = value
          }
          if (isMessage) messages.push(message)
        }
        wake()
      })
      response.on('end', () => { endResolve(); wake() })
      response.on('close', () => { endResolve(); wake() })
      const waitFor = async <T>(ready: () => T | undefined): Promise<T> => {
        for (;;) {
          const value = ready()
          if (value !== undefined) return value
          await new Promise<void>(resolve => { wake = resolve })
        }
      }
      resolve({
        status: response.statusCode ?? 0,
        contentType: response.headers['content-type'],
        next: async n => await waitFor(() => messages.length >= n ? messages.splice(0, n) : undefined),
        comment: async () => await waitFor(() => comments.shift()),
        ended,
        close: () => { request.destroy() }
      })
    })
    request.on('error', reject)
  })
}
