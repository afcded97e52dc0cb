/**
 * One RFC 8935 push: POST the SET as `application/secevent+jwt`, expect 202. A 400 carries a
 * JSON error (`err`, `description`, §2.4): the receiver refused this SET, and sending it again
 * will not change that, except `invalid_key` (its key cache may be behind ours), which is
 * retried. Anything else (no connection, a timeout, 3xx, 401, 5xx…) is a failure to retry.
 * Redirects are not followed: the receiver is the URL that was checked.
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { SECEVENT_MEDIA_TYPE } from '../scim/security-event.js'
import { guardedLookup, isNonPublicAddress } from './receiver-address.js'

export type PushOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'rejected', readonly error: string }
  | { readonly kind: 'failed', readonly error: string }

/** Error bodies are short; more is not read. */
const MAX_ERROR_BODY = 16_384

export async function pushSet (
  url: string, token: string, options: { timeoutMs: number, allowPrivate: boolean, signal?: AbortSignal }
): Promise<PushOutcome> {
  const target = new URL(url)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  // A literal address is connected to without a lookup, so it is checked here.
  if (!options.allowPrivate && net.isIP(host) !== 0 && isNonPublicAddress(host)) return { kind: 'failed', error: `${host} is not a public address` }
  const transport = target.protocol === 'https:' ? https : http
  return await new Promise<PushOutcome>(resolve => {
    let settled = false
    const settle = (outcome: PushOutcome): void => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      resolve(outcome)
    }
    const request = transport.request(target, {
      method: 'POST',
      headers: { 'content-type': SECEVENT_MEDIA_TYPE, accept: 'application/json', 'content-length': Buffer.byteLength(token) },
      lookup: guardedLookup(options.allowPrivate),
      ...(options.signal !== undefined ? { signal: options.signal } : {})
    }, response => {
      const status = response.statusCode ?? 0
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        if (body.length < MAX_ERROR_BODY) body += chunk.slice(0, MAX_ERROR_BODY - body.length)
      })
      response.on('end', () => { settle(judge(status, body)) })
      response.on('error', error => { settle({ kind: 'failed', error: error.message }) })
    })
    const deadline = setTimeout(() => { request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)) }, options.timeoutMs)
    request.on('error', error => { settle({ kind: 'failed', error: error.message }) })
    request.end(token)
  })
}

function judge (status: number, body: string): PushOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' }
  if (status !== 400) return { kind: 'failed', error: `HTTP ${status}` }
  let err = 'invalid_request'
  let description = ''
  try {
    const parsed = JSON.parse(body) as { err?: unknown, description?: unknown }
    if (typeof parsed.err === 'string') err = parsed.err
    if (typeof parsed.description === 'string') description = parsed.description
  } catch {
    description = 'the 400 answer was not the JSON error object of RFC 8935 §2.3'
  }
  const error = `HTTP 400 ${err}${description === '' ? '' : `: ${description.slice(0, 500)}`}`
  return err === 'invalid_key' ? { kind: 'failed', error } : { kind: 'rejected', error }
}
