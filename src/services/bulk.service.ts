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

export interface BulkRunOptions {
  readonly dispatch: BulkDispatcher
  /** Absolute URL of a resource, for `location` of operations that did not answer one. */
  readonly locate: (endpoint: ScimBulkEndpoint, id: string) => string
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
 * are neither run nor reported), and reports the results in request order.
 */
export async function runBulkRequest (request: ScimBulkRequest, options: BulkRunOptions): Promise<ScimBulkResponse> {
  const plan = planBulkOperations(request.operations)
  const run = new BulkRun(options)
  const results = new Map<number, ScimBulkOperationResult>()
  let errors = 0
  for (const index of plan.order) {
    const op = request.operations[index] as ScimBulkOperation
    const result = await run.run(op, plan.references.get(index) ?? new Set(), plan.blocked.get(index))
    results.set(index, result)
    if (Number(result.status) >= 400) errors++
    if (request.failOnErrors !== undefined && errors >= request.failOnErrors) break
  }
  const Operations = [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result)
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations }
}
