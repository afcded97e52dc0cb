/**
 * Recognises the errors that mean "the database is down, hung or saturated" rather than "this
 * request is wrong": they become 503 with Retry-After (the client should retry, maybe on
 * another instance) and one concise log line, never a 500 with a stack trace.
 */

export type DatabaseFailure = 'timeout' | 'unavailable'

/** A deadline of ours ran out (readiness check, start-up wait). */
export class DatabaseTimeoutError extends Error {
  override name = 'DatabaseTimeoutError'
}

/** Raised by pg when DATABASE_QUERY_TIMEOUT_MS passes without an answer. */
const QUERY_READ_TIMEOUT = 'Query read timeout'

const TIMEOUT_MESSAGES = [
  QUERY_READ_TIMEOUT,
  // pg-pool: no connection could be acquired (or opened) within the acquire timeout.
  'timeout exceeded when trying to connect',
  // pg: opening one connection took longer than the connect timeout.
  'Connection terminated due to connection timeout',
  'timeout expired'
]

const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool'
]

const SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

export function isQueryReadTimeout (error: unknown): boolean {
  return error instanceof Error && error.message === QUERY_READ_TIMEOUT
}

/** The kind of database failure, or undefined for any other error. */
export function classifyDatabaseFailure (error: unknown): DatabaseFailure | undefined {
  if (error instanceof DatabaseTimeoutError) return 'timeout'
  if (!(error instanceof Error)) return undefined
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    // 57014 query_canceled: statement_timeout. 57P0x: the server is shutting down or starting.
    if (code === '57014') return 'timeout'
    if (/^57P0[1-4]$/.test(code) || code.startsWith('08') || code === '53300' || SYSTEM_CODES.has(code)) return 'unavailable'
  }
  if (TIMEOUT_MESSAGES.includes(error.message)) return 'timeout'
  if (UNAVAILABLE_MESSAGES.includes(error.message)) return 'unavailable'
  // Node joins the attempts of a multi-address connect into one AggregateError.
  if (error instanceof AggregateError && error.errors.some(e => classifyDatabaseFailure(e) !== undefined)) return 'unavailable'
  return undefined
}

/** One line for logs and start-up messages: never a stack. */
export function describeDatabaseFailure (error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error instanceof AggregateError && error.errors.length > 0) return describeDatabaseFailure(error.errors[0])
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message
}
