/**
 * A push receiver written from the RFCs, for tests: RFC 8935 (POST of
 * `application/secevent+jwt`, 202 on success, 400 with `{err, description}` on refusal) and
 * RFC 7515 (a compact JWS: BASE64URL(header).BASE64URL(payload).BASE64URL(signature), the
 * signature over the ASCII of the first two parts; ES256 is P-256 ECDSA over SHA-256 with the
 * 64-byte R||S encoding of RFC 7518 §3.4). It verifies with node:crypto alone, against the
 * keys the service publishes, so the service's own JOSE library checks nothing here.
 */
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedSet {
  readonly header: Record<string, unknown>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly claims: any
  readonly verified: boolean
}

export interface Reply { readonly status: number, readonly body?: unknown }

export interface TestReceiver {
  readonly url: string
  readonly received: ReceivedSet[]
  /** Every POST, answered or not, by jti. */
  readonly attempts: string[]
  /** Most POSTs that were in progress at the same time for one jti (1: never concurrently). */
  maxConcurrentPerJti: number
  close (): Promise<void>
}

const b64 = (part: string): Buffer => Buffer.from(part, 'base64url')

/**
 * `keysFor(iss)` returns the JWKS the issuer publishes; `answer` decides each reply (the
 * default is 202 to every valid SET); `delayMs` keeps each request open that long.
 */
export async function startReceiver (options: {
  keysFor: (issuer: string) => Promise<{ keys: Array<JsonWebKey & { kid?: string }> }>
  answer?: (set: ReceivedSet, attempt: number) => Reply
  delayMs?: number
}): Promise<TestReceiver> {
  const received: ReceivedSet[] = []
  const attempts: string[] = []
  const inFlight = new Map<string, number>()
  const state = { maxConcurrentPerJti: 0 }
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      void (async () => {
        const reply = async ({ status, body }: Reply): Promise<void> => {
          response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' })
          response.end(body === undefined ? undefined : JSON.stringify(body))
        }
        if (request.method !== 'POST' || request.headers['content-type'] !== 'application/secevent+jwt') {
          await reply({ status: 400, body: { err: 'invalid_request', description: 'expected a POST of application/secevent+jwt' } })
          return
        }
        const token = Buffer.concat(chunks).toString('ascii')
        const parts = token.split('.')
        if (parts.length !== 3) {
          await reply({ status: 400, body: { err: 'invalid_request', description: 'not a compact JWS' } })
          return
        }
        const [h, p, s] = parts as [string, string, string]
        const header = JSON.parse(b64(h).toString('utf8')) as Record<string, unknown>
        const claims = JSON.parse(b64(p).toString('utf8'))
        const jwks = await options.keysFor(String(claims.iss))
        const jwk = jwks.keys.find(key => key.kid === header.kid)
        const verified = jwk !== undefined && header.alg === 'ES256' && verify('sha256', Buffer.from(`${h}.${p}`, 'ascii'),
          { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, b64(s))
        const jti = String(claims.jti)
        attempts.push(jti)
        const now = (inFlight.get(jti) ?? 0) + 1
        inFlight.set(jti, now)
        state.maxConcurrentPerJti = Math.max(state.maxConcurrentPerJti, now)
        if (options.delayMs !== undefined) await new Promise(resolve => setTimeout(resolve, options.delayMs))
        inFlight.set(jti, (inFlight.get(jti) ?? 1) - 1)
        const set = { header, claims, verified }
        if (!verified) {
          await reply({ status: 400, body: { err: 'invalid_key', description: 'signature not verified' } })
          return
        }
        const answer = options.answer?.(set, attempts.filter(a => a === jti).length) ?? { status: 202 }
        if (answer.status === 202) received.push(set)
        await reply(answer)
      })().catch(() => { response.destroy() })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/events`,
    received,
    attempts,
    get maxConcurrentPerJti () { return state.maxConcurrentPerJti },
    set maxConcurrentPerJti (value: number) { state.maxConcurrentPerJti = value },
    close: async () => { await new Promise(resolve => server.close(resolve)) }
  }
}

/** Waits (up to `ms`) until `ready()` holds; the test then asserts what it sees. */
export async function eventually (ready: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await ready()) return true
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return await ready()
}
