/**
 * Runs a parsed bulk request (RFC 7644 §3.7) through a dispatcher that performs one
 * ordinary SCIM request per operation. Each operation is therefore exactly as atomic, as
 * validated and as authorised as the same request sent on its own; the bulk request as a
 * whole is not a transaction (§3.7: "The service provider MUST continue performing as many
 * changes as possible and disregard partial failures").
 */
import { ScimError } from '../scim/errors.js'
import { bulkErrorBody, planBulkOperations, substituteBulkIds } from '../scim/bulk.js'
import type { ScimBulkEndpoint, ScimBulkMethod, ScimBulkOperation, ScimBulkRequest } from '../scim/bulk.js'
import { BULK_RESPONSE_SCHEMA } from '../scim/schema/registry.js'

export interface BulkDispatchRequest {
  readonly method: ScimBulkMethod
  readonly endpoint: ScimBulkEndpoint
  /** The resource id, references already replaced; undefined for POST. */
  readonly id: string | undefined
  readonly data: unknown
  /** Sent as If-Match. */
  readonly version: string | undefined
}

export interface BulkDispatchResult {
  readonly status: number
  readonly body: unknown
  /** The `Location` header, if the response had one. */
  readonly location: string | undefined
  /** The `ETag` header, if the response had one. */
  readonly etag: string | undefined
}

export type BulkDispatcher = (request: BulkDispatchRequest) => Promise<BulkDispatchResult>

export interface ScimBulkOperationResult {
  method: string
  bulkId?: string
  version?: string
  location?: string
  /** A string, as in every RFC 7644 §3.7.3 example. */
  status: string
  response?: unknown
}

export interface ScimBulkResponse {
  schemas: string[]
  Operations: ScimBulkOperationResult[]
}

/**
 * Why a bulk stops before its next operation: its client is gone (nobody will read the
 * answer, so the rest is not performed), or the service is shutting down (the rest is
 * reported per operation with `error`, a 503, so the client knows exactly what to retry).
 */
export type BulkStop = { readonly reason: 'clientGone' } | { readonly reason: 'shutdown', readonly error: ScimError }

export interface BulkRunSummary {
  readonly operations: number
  /** Dispatched to the resource endpoints (whatever their answer). */
  readonly performed: number
  /** Answered with a status of 400 or more, dispatched or not. */
  readonly failed: number
  /** Not dispatched: refused before dispatch, left after failOnErrors, or stopped. */
  readonly notPerformed: number
  readonly stoppedBy?: BulkStop['reason']
}

export interface BulkRunOptions {
  readonly dispatch: BulkDispatcher
  /** Absolute URL of a resource, for `location` of operations that did not answer one. */
  readonly locate: (endpoint: ScimBulkEndpoint, id: string) => string
  /** Asked before each operation. */
  readonly shouldStop?: () => BulkStop | undefined
  /** Called once with what happened, for the request's log line. */
  readonly onFinish?: (summary: BulkRunSummary) => void
}

function resultBase (op: ScimBulkOperation): ScimBulkOperationResult {
  return { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: '' }
}

function failed (op: ScimBulkOperation, error: ScimError, location?: string): ScimBulkOperationResult {
  return { ...resultBase(op), ...(location !== undefined ? { location } : {}), status: String(error.status), response: bulkErrorBody(error) }
}

function createdIdOf (body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const id = (body as Record<string, unknown>).id
  return typeof id === 'string' ? id : undefined
}

class BulkRun {
  /** bulkId → id of the resource its POST created. */
  private readonly created = new Map<string, string>()
  performed = 0

  constructor (private readonly options: BulkRunOptions) {}

  async run (op: ScimBulkOperation, references: ReadonlySet<string>, blocked: ScimError | undefined): Promise<ScimBulkOperationResult> {
    if (op.error !== undefined) return failed(op, op.error)
    if (blocked !== undefined) return failed(op, blocked)
    for (const bulkId of references) {
      if (!this.created.has(bulkId)) {
        return failed(op, new ScimError(409, `bulkId "${bulkId}" could not be resolved: the operation that creates it failed.`))
      }
    }
    const resolve = (bulkId: string) => this.created.get(bulkId)
    let id: string | undefined
    let data: unknown
    try {
      id = op.id === undefined ? undefined : substituteBulkIds(op.id, resolve) as string
      data = op.method === 'DELETE' ? undefined : substituteBulkIds(op.data, resolve)
    } catch (error) {
      if (error instanceof ScimError) return failed(op, error)
      throw error
    }
    const endpoint = op.endpoint as ScimBulkEndpoint
    this.performed++
    const answer = await this.options.dispatch({ method: op.method as ScimBulkMethod, endpoint, id, data, version: op.version })
    const location = answer.location ?? (id !== undefined ? this.options.locate(endpoint, id) : undefined)
    const result: ScimBulkOperationResult = { ...resultBase(op), status: String(answer.status) }
    if (answer.etag !== undefined && answer.status < 300) result.version = answer.etag
    if (location !== undefined) result.location = location
    if (answer.status >= 300) {
      result.response = answer.body
    } else if (op.method === 'POST' && op.bulkId !== undefined) {
      const createdId = createdIdOf(answer.body)
      if (createdId !== undefined) this.created.set(op.bulkId, createdId)
    }
    return result
  }
}

/**
 * Runs operations in plan order until `failOnErrors` errors have happened (§3.7.3: the rest
 * are neither run nor reported) or `shouldStop` says so, and reports the results in request
 * order.
 */
export async function runBulkRequest (request: ScimBulkRequest, options: BulkRunOptions): Promise<ScimBulkResponse> {
  const plan = planBulkOperations(request.operations)
  const run = new BulkRun(options)
  const results = new Map<number, ScimBulkOperationResult>()
  let errors = 0
  let stop: BulkStop | undefined
  for (const [position, index] of plan.order.entries()) {
    stop = options.shouldStop?.()
    if (stop?.reason === 'shutdown') {
      for (const rest of plan.order.slice(position)) results.set(rest, failed(request.operations[rest] as ScimBulkOperation, stop.error))
      errors += plan.order.length - position
    }
    if (stop !== undefined) break
    const op = request.operations[index] as ScimBulkOperation
    const result = await run.run(op, plan.references.get(index) ?? new Set(), plan.blocked.get(index))
    results.set(index, result)
    if (Number(result.status) >= 400) errors++
    if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break
  }
  options.onFinish?.({
    operations: request.operations.length,
    performed: run.performed,
    failed: errors,
    notPerformed: request.operations.length - run.performed,
    ...(stop !== undefined ? { stoppedBy: stop.reason } : {})
  })
  const Operations = [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result)
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations }
}
