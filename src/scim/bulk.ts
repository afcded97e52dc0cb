/**
 * Bulk requests (RFC 7644 §3.7), the pure part: the envelope, each operation's own shape,
 * `bulkId:` references in paths and data, and the order that runs a POST before every
 * operation that refers to its bulkId (forward references included, §3.7.2).
 * Executing the operations is the service's job; nothing here does I/O.
 */
import { ScimError } from './errors.js'
import { MAX_JSON_DEPTH } from './json-input.js'
import { BULK_REQUEST_SCHEMA, ERROR_SCHEMA } from './schema/registry.js'

export type ScimBulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE'
export type ScimBulkEndpoint = 'Users' | 'Groups'

export interface ScimBulkOperation {
  /** Position in the request (0-based); results are reported in this order. */
  readonly index: number
  /** Upper-cased when it was a string; kept so the result can echo it. */
  readonly method: string
  readonly bulkId: string | undefined
  /** An ETag (RFC 7644 §3.7: `version`); sent as If-Match. */
  readonly version: string | undefined
  readonly endpoint: ScimBulkEndpoint | undefined
  /** The resource id segment of the path, possibly a `bulkId:` reference. */
  readonly id: string | undefined
  readonly data: unknown
  /** Set when the operation is malformed: it is reported with this error and never run. */
  readonly error: ScimError | undefined
}

export interface ScimBulkRequest {
  readonly failOnErrors: number | undefined
  readonly operations: readonly ScimBulkOperation[]
}

export interface ScimBulkLimits {
  readonly maxOperations: number
}

const METHODS: readonly ScimBulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE']
const BULK_ID_PREFIX = 'bulkid:'
/** A quoted reference inside a string, e.g. a PATCH path `members[value eq "bulkId:q"]`. */
const QUOTED_REFERENCE = /"bulkId:([^"]+)"/gi

function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** SCIM attribute names are case-insensitive (RFC 7643 §2.1), message attributes included. */
function member (object: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(object)) if (key.toLowerCase() === wanted) return value
  return undefined
}

/** The bulkId a whole string refers to (`bulkId:qwerty` → `qwerty`), if it is a reference. */
export function bulkIdReferenceOf (value: string): string | undefined {
  if (value.length <= BULK_ID_PREFIX.length || value.slice(0, BULK_ID_PREFIX.length).toLowerCase() !== BULK_ID_PREFIX) return undefined
  return value.slice(BULK_ID_PREFIX.length)
}

function parseFailOnErrors (raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined
  const value = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : raw
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw ScimError.invalidSyntax('failOnErrors must be a positive integer (RFC 7644 §3.7.3).')
  }
  return value
}

/** The id segment as the client meant it (`%20` → space); null when it is not valid percent-encoding. */
function decodeSegment (segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

interface ParsedPath { endpoint?: ScimBulkEndpoint, id?: string, error?: ScimError }

/**
 * `/Users`, `/Groups`, `/Users/{id}`, `/Groups/{id}` (any case, optional trailing slash).
 * Nothing else is reachable through bulk: no other endpoint, no query string, no `..`.
 */
function parsePath (method: ScimBulkMethod, path: string): ParsedPath {
  const match = /^\/(users|groups)(?:\/([^/?#]+))?\/?$/i.exec(path.trim())
  if (match === null) return { error: ScimError.notFound(`Bulk operations address /Users, /Groups or one of their resources; "${path}" is neither.`) }
  const endpoint: ScimBulkEndpoint = (match[1] as string).toLowerCase() === 'users' ? 'Users' : 'Groups'
  const id = match[2] === undefined ? undefined : decodeSegment(match[2])
  if (id === null || id === '.' || id === '..') return { error: ScimError.notFound(`"${path}" is not a resource.`) }
  if (method === 'POST' && id !== undefined) {
    return { error: ScimError.invalidValue(`A bulk POST path is a resource endpoint such as /${endpoint}, not "${path}" (RFC 7644 §3.7).`) }
  }
  if (method !== 'POST' && id === undefined) {
    return { error: ScimError.invalidValue(`A bulk ${method} path names one resource, such as /${endpoint}/{id}; got "${path}".`) }
  }
  return id === undefined ? { endpoint } : { endpoint, id }
}

function parseOperation (raw: unknown, index: number): ScimBulkOperation {
  if (!isObject(raw)) throw ScimError.invalidSyntax(`Operations[${index}] must be an object.`)
  const rawMethod = member(raw, 'method')
  const method = typeof rawMethod === 'string' ? rawMethod.trim().toUpperCase() : ''
  const rawBulkId = member(raw, 'bulkId')
  const rawVersion = member(raw, 'version')
  const rawPath = member(raw, 'path')
  const data = member(raw, 'data')
  const base = {
    index,
    method,
    bulkId: typeof rawBulkId === 'string' && rawBulkId !== '' ? rawBulkId : undefined,
    version: typeof rawVersion === 'string' && rawVersion !== '' ? rawVersion : undefined,
    endpoint: undefined,
    id: undefined,
    data
  }
  const fail = (error: ScimError): ScimBulkOperation => ({ ...base, error })
  if (!METHODS.includes(method as ScimBulkMethod)) return fail(ScimError.invalidValue(`Operations[${index}].method must be POST, PUT, PATCH or DELETE (RFC 7644 §3.7).`))
  if (rawBulkId !== undefined && rawBulkId !== null && (typeof rawBulkId !== 'string' || rawBulkId === '')) {
    return fail(ScimError.invalidValue(`Operations[${index}].bulkId must be a non-empty string.`))
  }
  if (rawVersion !== undefined && rawVersion !== null && typeof rawVersion !== 'string') {
    return fail(ScimError.invalidValue(`Operations[${index}].version must be an ETag string.`))
  }
  if (typeof rawPath !== 'string') return fail(ScimError.invalidValue(`Operations[${index}].path must be a string such as "/Users".`))
  const parsed = parsePath(method as ScimBulkMethod, rawPath)
  if (parsed.error !== undefined) return fail(parsed.error)
  if (method !== 'DELETE' && !isObject(data)) {
    return fail(ScimError.invalidSyntax(`Operations[${index}].data must be an object for ${method}.`))
  }
  return { ...base, endpoint: parsed.endpoint, id: parsed.id, error: undefined }
}

/**
 * Checks the envelope. A broken envelope fails the whole request (400 invalidSyntax); more
 * operations than advertised is 413 (RFC 7644 §3.7.4). A malformed single operation does
 * not: it carries its error and is reported like any failed operation.
 */
export function parseBulkRequest (body: unknown, limits: ScimBulkLimits): ScimBulkRequest {
  if (!isObject(body)) throw ScimError.invalidSyntax('A bulk request body is a JSON object (RFC 7644 §3.7).')
  const schemas = member(body, 'schemas')
  if (!Array.isArray(schemas) || !schemas.some(s => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw ScimError.invalidSyntax(`schemas must contain "${BULK_REQUEST_SCHEMA}".`)
  }
  const operations = member(body, 'Operations')
  if (!Array.isArray(operations)) throw ScimError.invalidSyntax('Operations must be an array.')
  if (operations.length > limits.maxOperations) {
    throw ScimError.payloadTooLarge(`The bulk request has ${operations.length} operations; maxOperations is ${limits.maxOperations}.`, 'tooMany')
  }
  const failOnErrors = parseFailOnErrors(member(body, 'failOnErrors'))
  const parsed = operations.map((raw, index) => parseOperation(raw, index))
  const seen = new Map<string, number>()
  for (const op of parsed) {
    if (op.bulkId === undefined) continue
    const earlier = seen.get(op.bulkId)
    // A reference to a duplicated bulkId would be ambiguous, so the request as a whole is wrong.
    if (earlier !== undefined) throw ScimError.invalidSyntax(`bulkId "${op.bulkId}" is used by Operations[${earlier}] and Operations[${op.index}]; it must be unique (RFC 7644 §3.7).`)
    seen.set(op.bulkId, op.index)
  }
  return { failOnErrors, operations: parsed }
}

/**
 * A reference is a whole string value (`"value": "bulkId:q"`), or a quoted value inside a
 * PATCH `path` filter (`members[value eq "bulkId:q"]`). Other text that happens to contain
 * `bulkId:` (a displayName, say) is data, not a reference. Iterative: operation data is the
 * client's JSON, and its depth must not decide whether the stack holds.
 */
function collectReferences (root: unknown, into: Set<string>): void {
  const stack: Array<{ value: unknown, inPath: boolean }> = [{ value: root, inPath: false }]
  while (stack.length > 0) {
    const { value, inPath } = stack.pop() as { value: unknown, inPath: boolean }
    if (typeof value === 'string') {
      const whole = bulkIdReferenceOf(value)
      if (whole !== undefined) into.add(whole)
      if (inPath) for (const match of value.matchAll(QUOTED_REFERENCE)) into.add(match[1] as string)
    } else if (Array.isArray(value)) {
      // Children are pushed last-first so references are found in document order.
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], inPath: false })
    } else if (isObject(value)) {
      const entries = Object.entries(value)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown]
        stack.push({ value: item, inPath: key.toLowerCase() === 'path' })
      }
    }
  }
}

/** Every bulkId the operation refers to, in its path and anywhere in its data. */
export function findBulkIdReferences (op: Pick<ScimBulkOperation, 'id' | 'data'>): Set<string> {
  const references = new Set<string>()
  if (op.id !== undefined) collectReferences(op.id, references)
  collectReferences(op.data, references)
  return references
}

/**
 * Replaces references (as collectReferences finds them) with resource ids. `resolve` answers
 * undefined for a bulkId it cannot resolve; the caller has checked there is none. Recursive
 * but depth-bounded: HTTP bodies are refused beyond MAX_JSON_DEPTH before they get here,
 * and a caller passing deeper data gets 400, not a stack overflow.
 */
export function substituteBulkIds (value: unknown, resolve: (bulkId: string) => string | undefined, inPath = false, depth = 0): unknown {
  if (typeof value === 'string') {
    const whole = bulkIdReferenceOf(value)
    if (whole !== undefined) return resolve(whole) ?? value
    if (!inPath) return value
    return value.replace(QUOTED_REFERENCE, (text, bulkId: string) => {
      const id = resolve(bulkId)
      return id === undefined ? text : `"${id}"`
    })
  }
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_JSON_DEPTH) throw ScimError.invalidSyntax(`Bulk operation data nests deeper than ${MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH).`)
  if (Array.isArray(value)) return value.map(item => substituteBulkIds(item, resolve, false, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substituteBulkIds(item, resolve, key.toLowerCase() === 'path', depth + 1)]))
}

export interface ScimBulkPlan {
  /** Operation indexes in execution order: request order, each POST pulled before its first referrer. */
  readonly order: readonly number[]
  /** Per operation, the bulkIds it waits for. */
  readonly references: ReadonlyMap<number, ReadonlySet<string>>
  /** Operations that cannot run whatever happens: circular or unknown references (409, §3.7.1). */
  readonly blocked: ReadonlyMap<number, ScimError>
}

/**
 * Depth-first over references, iterative so a long chain cannot overflow the stack. An
 * operation on the current path that is reached again closes a cycle: RFC 7644 §3.7.1 lets
 * the service "stop after a failed attempt and instead return HTTP status code 409
 * (Conflict)", which every operation of the cycle gets.
 */
export function planBulkOperations (operations: readonly ScimBulkOperation[]): ScimBulkPlan {
  const creators = new Map<string, number>()
  for (const op of operations) if (op.method === 'POST' && op.bulkId !== undefined) creators.set(op.bulkId, op.index)
  const references = new Map<number, ReadonlySet<string>>()
  for (const op of operations) references.set(op.index, op.error === undefined ? findBulkIdReferences(op) : new Set())

  const blocked = new Map<number, ScimError>()
  const state = new Array<0 | 1 | 2>(operations.length).fill(0)
  const order: number[] = []
  for (const root of operations) {
    if (state[root.index] !== 0) continue
    const stack: Array<{ index: number, pending: string[] }> = [{ index: root.index, pending: [...(references.get(root.index) ?? [])] }]
    state[root.index] = 1
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { index: number, pending: string[] }
      const bulkId = frame.pending.shift()
      if (bulkId === undefined) {
        stack.pop()
        state[frame.index] = 2
        order.push(frame.index)
        continue
      }
      const creator = creators.get(bulkId)
      if (creator === undefined) {
        blocked.set(frame.index, new ScimError(409, `bulkId "${bulkId}" is not the bulkId of any POST in this request.`))
      } else if (state[creator] === 1) {
        const start = stack.findIndex(f => f.index === creator)
        for (const f of stack.slice(start)) {
          blocked.set(f.index, new ScimError(409, `Circular bulkId references between Operations[${stack.slice(start).map(s => s.index).join('], [')}] (RFC 7644 §3.7.1).`))
        }
      } else if (state[creator] === 0) {
        state[creator] = 1
        stack.push({ index: creator, pending: [...(references.get(creator) ?? [])] })
      }
    }
  }
  return { order, references, blocked }
}

/** The RFC 7644 §3.12 error body, as a bulk result's `response`. */
export function bulkErrorBody (error: ScimError): Record<string, unknown> {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType !== undefined ? { scimType: error.scimType } : {}),
    detail: error.detail
  }
}
