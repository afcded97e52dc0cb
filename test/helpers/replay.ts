/**
 * Replays a recorded client conversation (test/fixtures/replays/*.json) against the app and
 * checks every response. Generic: any resource, any client.
 *
 * Fixture: { "name", "description"?, "steps": [Step] }. Step:
 *   {
 *     "name": "what the client does",
 *     "request": { "method", "url", "headers"?, "body"?, "merge"? },
 *     "response": { "status", "headers"?, "body"? },
 *     "capture"?: { "varName": "body.id" | "headers.etag" | "body.Resources.0.id" | "body" }
 *   }
 * - `{{var}}` inside any string of the request or expected response is replaced by a
 *   captured or given variable; a string that is exactly `{{var}}` takes the variable's JSON
 *   value (an object captured with "body" can be sent back whole, as Okta's PUT does).
 *   `merge` is shallow-merged over the request body after substitution.
 * - Built-in variables: `{{randomGuid}}` (fixed per replay), plus the caller's `vars`.
 * - Expected bodies match partially: object keys not listed are not checked, arrays must
 *   have exactly the listed elements (in order), scalars must be equal. Matchers:
 *   `"{{*}}"` any present value, `"{{absent}}"` the key must be missing, `"{{/re/}}"` a
 *   string matching the regular expression.
 * - Requests get the caller's `headers` (Authorization) and, with a body, a SCIM content
 *   type unless the step gives its own.
 */
import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'

interface ReplayStep {
  readonly name: string
  readonly request: { method: string, url: string, headers?: Record<string, string>, body?: unknown, merge?: Record<string, unknown> }
  readonly response: { status: number, headers?: Record<string, unknown>, body?: unknown }
  readonly capture?: Record<string, string>
}

export interface ReplayFixture {
  readonly name: string
  readonly description?: string
  readonly steps: readonly ReplayStep[]
}

export interface ReplayOptions {
  readonly headers: Record<string, string>
  readonly vars?: Record<string, unknown>
}

const WHOLE = /^\{\{([\w$.-]+)\}\}$/
const INLINE = /\{\{([\w$.-]+)\}\}/g
const MATCHERS = new Set(['*', 'absent'])

export async function loadReplay (file: string | URL): Promise<ReplayFixture> {
  return JSON.parse(await readFile(file, 'utf8')) as ReplayFixture
}

function substitute (value: unknown, vars: Map<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole !== null && vars.has(whole[1] as string)) return structuredClone(vars.get(whole[1] as string))
    return value.replace(INLINE, (text, name: string) => {
      if (vars.has(name)) return String(vars.get(name))
      if (MATCHERS.has(name) || name.startsWith('/')) return text
      throw new Error(`replay: unknown variable {{${name}}}`)
    })
  }
  if (Array.isArray(value)) return value.map(item => substitute(item, vars))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, vars)]))
  }
  return value
}

/** Differences between `actual` and the partial `expected`, as human-readable lines. */
export function diffPartial (actual: unknown, expected: unknown, where = '$'): string[] {
  if (expected === '{{*}}') return actual === undefined ? [`${where}: missing`] : []
  if (typeof expected === 'string' && /^\{\{\/.*\/\}\}$/.test(expected)) {
    const re = new RegExp(expected.slice(3, -3))
    return typeof actual === 'string' && re.test(actual) ? [] : [`${where}: ${JSON.stringify(actual)} does not match ${re}`]
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${where}: expected an array, got ${JSON.stringify(actual)}`]
    if (actual.length !== expected.length) return [`${where}: expected ${expected.length} elements, got ${actual.length}`]
    return expected.flatMap((item, i) => diffPartial(actual[i], item, `${where}[${i}]`))
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${where}: expected an object, got ${JSON.stringify(actual)}`]
    return Object.entries(expected).flatMap(([key, item]) => {
      const value = (actual as Record<string, unknown>)[key]
      if (item === '{{absent}}') return key in actual ? [`${where}.${key}: should be absent, is ${JSON.stringify(value)}`] : []
      return diffPartial(value, item, `${where}.${key}`)
    })
  }
  return Object.is(actual, expected) ? [] : [`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`]
}

function pick (source: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) =>
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined, source)
}

export async function runReplay (t: Test, app: FastifyInstance, fixture: ReplayFixture, options: ReplayOptions): Promise<Map<string, unknown>> {
  const vars = new Map<string, unknown>([['randomGuid', randomUUID()], ...Object.entries(options.vars ?? {})])
  for (const [index, step] of fixture.steps.entries()) {
    const label = `${fixture.name} #${index + 1}: ${step.name}`
    const request = substitute(step.request, vars) as ReplayStep['request']
    let body = request.body
    if (request.merge !== undefined) body = { ...(body as Record<string, unknown>), ...request.merge }
    const headers: Record<string, string> = { ...options.headers, ...(body !== undefined ? { 'content-type': 'application/scim+json; charset=utf-8' } : {}), ...request.headers }
    const res = await app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers,
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {})
    })
    const json: unknown = res.body === '' ? undefined : JSON.parse(res.body)
    const expected = substitute(step.response, vars) as ReplayStep['response']
    const problems = [
      ...(res.statusCode === expected.status ? [] : [`status: expected ${expected.status}, got ${res.statusCode}`]),
      ...diffPartial(res.headers, expected.headers ?? {}, 'headers'),
      ...(expected.body !== undefined ? diffPartial(json, expected.body, 'body') : [])
    ]
    t.same(problems, [], label)
    if (problems.length > 0) {
      t.comment(`${label}: response was ${res.body.slice(0, 2000)}`)
      break
    }
    for (const [name, path] of Object.entries(step.capture ?? {})) {
      vars.set(name, pick({ body: json, headers: res.headers }, path))
    }
  }
  return vars
}
