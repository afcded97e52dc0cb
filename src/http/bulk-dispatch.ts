/**
 * Performs one bulk operation as an ordinary request to this same application
 * (`app.inject`, no network): the same authentication, the same organization, the same
 * routes and services. Every rule (validation, uniqueness, the customer-only membership rule,
 * If-Match) is therefore the code path a single request takes, and each operation is atomic
 * exactly as that request is. The cost is a token lookup and a JSON round trip per operation,
 * small next to the database work.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SCIM_BASE_PATH } from '../config.js'
import type { BulkDispatchRequest, BulkDispatchResult, BulkDispatcher } from '../services/bulk.service.js'

/** Headers of the bulk request that the operations inherit (identity, host for Location). */
const INHERITED_HEADERS = ['authorization', 'host', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for'] as const

function headerValue (value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value[0] : String(value)
}

export function createInjectDispatcher (app: FastifyInstance, request: FastifyRequest): BulkDispatcher {
  let sequence = 0
  return async (operation: BulkDispatchRequest): Promise<BulkDispatchResult> => {
    const headers: Record<string, string> = {
      accept: 'application/scim+json',
      // Each operation logs under the bulk request's id, numbered, so one bulk can be traced.
      'x-request-id': `${request.id}.${++sequence}`
    }
    for (const name of INHERITED_HEADERS) {
      const value = headerValue(request.headers[name])
      if (value !== undefined) headers[name] = value
    }
    if (operation.version !== undefined) headers['if-match'] = operation.version
    const hasBody = operation.method !== 'DELETE'
    if (hasBody) headers['content-type'] = 'application/scim+json'
    const id = operation.id === undefined ? '' : `/${encodeURIComponent(operation.id)}`
    const response = await app.inject({
      method: operation.method,
      url: `${SCIM_BASE_PATH}/${operation.endpoint}${id}`,
      headers,
      ...(hasBody ? { payload: JSON.stringify(operation.data) } : {})
    })
    return {
      status: response.statusCode,
      body: response.body === '' ? undefined : safeJson(response.body),
      location: headerValue(response.headers.location),
      etag: headerValue(response.headers.etag)
    }
  }
}

function safeJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
