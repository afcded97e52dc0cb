/**
 * Configuration is read from the environment once, validated, and frozen. Everything else
 * receives a Config; nothing reads process.env directly.
 */
import path from 'node:path'
import { DEFAULT_MAX_MULTI_VALUED_VALUES, DEFAULT_PATCH_MAX_OPERATIONS } from './scim/limits.js'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

export interface Config {
  readonly port: number
  readonly host: string
  readonly logLevel: LogLevel
  /** Postgres connection string; undefined selects embedded Postgres (PGlite). */
  readonly databaseUrl: string | undefined
  /** Where embedded Postgres keeps its files. */
  readonly dataDir: string
  readonly migrateOnStart: boolean
  readonly bearerToken: string | undefined
  /** Public base URL used in `Location` and `meta.location`; derived from the request when unset. */
  readonly publicBaseUrl: string | undefined
  readonly databasePoolSize: number
  /** Opening one database connection (TCP and Postgres start-up). */
  readonly databaseConnectTimeoutMs: number
  /** Waiting for a pooled connection when all are busy (opening one included). */
  readonly databaseAcquireTimeoutMs: number
  /** Client-side deadline per query: holds even when the server is frozen. */
  readonly databaseQueryTimeoutMs: number
  /** Server-side `statement_timeout`. */
  readonly databaseStatementTimeoutMs: number
  /** How long start-up keeps retrying an unreachable database before giving up. */
  readonly databaseStartupTimeoutMs: number
  /** Named (prepared) statements each pooled connection may keep (db/prepared-statements.ts); 0: none. */
  readonly databasePreparedStatements: number
  readonly bodyLimitBytes: number
  readonly defaultPageSize: number
  readonly maxPageSize: number
  /**
   * Most members (of groups) or groups (of users) one read response may list; above it the
   * read fails with 400 tooMany before anything is sent. 0: no ceiling (responses stream).
   */
  readonly maxInlineMembers: number
  /** Most values of one multi-valued attribute (emails, roles…; not group members). */
  readonly maxMultiValuedValues: number
  /** Most operations in one PATCH request. */
  readonly patchMaxOperations: number
  readonly bulkMaxOperations: number
  readonly bulkMaxPayloadBytes: number
  readonly shutdownTimeoutMs: number
  /**
   * How long an instance may use an API token it looked up without looking again: the bound
   * on how late a revocation takes effect when its notification is lost (0: no cache).
   */
  readonly tokenCacheTtlMs: number
  /** Requests one organization may have in progress on this instance; 0 is no limit. */
  readonly orgMaxConcurrentRequests: number
  /** Requests one organization may send per minute to this instance; 0 is no limit. */
  readonly rateLimitPerMinute: number
  /** When set, GET /metrics requires `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken: string | undefined
  /** How often streams and delivery look for new events without a notification (the fallback). */
  readonly eventsPollIntervalMs: number
  /** Comment lines sent on an idle event stream so proxies and clients keep it open. */
  readonly eventStreamHeartbeatMs: number
  /** Events older than this are pruned. */
  readonly eventRetentionDays: number
  /** Failed attempts after which a receiver is marked failing (and not sent more until enabled). */
  readonly eventDeliveryMaxAttempts: number
  /** First retry delay; each further one doubles, up to an hour. */
  readonly eventDeliveryRetryBaseMs: number
  /** Deadline of one push (connect, send, answer). */
  readonly eventDeliveryTimeoutMs: number
  /** Allow receivers on loopback, private and link-local addresses (tests, closed networks). */
  readonly eventReceiversAllowPrivate: boolean
}

export const SCIM_BASE_PATH = '/scim/v2'
/** The service's own API (the change feed, receivers, keys), outside the SCIM namespace. */
export const API_BASE_PATH = '/api/v1'

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Shortest SCIM_BEARER_TOKEN accepted. A configured token is a long-lived shared secret that
 * IdP admins paste into a form; 32 characters (the length of a 128-bit hex secret) keeps it
 * out of reach of guessing. Generated tokens are longer.
 */
export const MIN_BEARER_TOKEN_LENGTH = 32

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function readInt (env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key]
  if (raw === undefined || raw.trim() === '') return fallback
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be an integer, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${value}`)
  return value
}

function readBool (env: NodeJS.ProcessEnv, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['true', '1', 'yes', 'on'].includes(raw)) return true
  if (['false', '0', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${key} must be true or false, got "${env[key]}"`)
}

function readString (env: NodeJS.ProcessEnv, key: string): string | undefined {
  const raw = env[key]?.trim()
  return raw === undefined || raw === '' ? undefined : raw
}

function readLogLevel (env: NodeJS.ProcessEnv): LogLevel {
  const raw = (readString(env, 'LOG_LEVEL') ?? 'info').toLowerCase()
  if (!LOG_LEVELS.includes(raw as LogLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`)
  }
  return raw as LogLevel
}

function readDatabaseUrl (env: NodeJS.ProcessEnv): string | undefined {
  const url = readString(env, 'DATABASE_URL')
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// connection string')
  }
  return url
}

function readBearerToken (env: NodeJS.ProcessEnv): string | undefined {
  const token = readString(env, 'SCIM_BEARER_TOKEN')
  if (token !== undefined && token.length < MIN_BEARER_TOKEN_LENGTH) {
    throw new ConfigError(`SCIM_BEARER_TOKEN must be at least ${MIN_BEARER_TOKEN_LENGTH} characters long, got ${token.length}`)
  }
  return token
}

function readPublicBaseUrl (env: NodeJS.ProcessEnv): string | undefined {
  const url = readString(env, 'PUBLIC_BASE_URL')
  if (url === undefined) return undefined
  if (!/^https?:\/\/[^/]+/.test(url)) throw new ConfigError('PUBLIC_BASE_URL must be an http(s) URL')
  return url.replace(/\/+$/, '')
}

/**
 * Defaults are chosen for IdP clients, which give up after tens of seconds and retry: a
 * request learns within 2 s that no connection can be had, and no query runs longer than
 * 10 s. The server cancels a statement first (8 s) so that the connection stays usable; the
 * client-side deadline only fires when the server does not answer at all.
 */
function readDatabaseTimeouts (env: NodeJS.ProcessEnv): Pick<Config,
'databaseConnectTimeoutMs' | 'databaseAcquireTimeoutMs' | 'databaseQueryTimeoutMs' | 'databaseStatementTimeoutMs' | 'databaseStartupTimeoutMs'> {
  const databaseQueryTimeoutMs = readInt(env, 'DATABASE_QUERY_TIMEOUT_MS', 10_000, 100, 3_600_000)
  const databaseStatementTimeoutMs = readInt(env, 'DATABASE_STATEMENT_TIMEOUT_MS', Math.min(8000, databaseQueryTimeoutMs), 0, 3_600_000)
  if (databaseStatementTimeoutMs > databaseQueryTimeoutMs) {
    throw new ConfigError('DATABASE_STATEMENT_TIMEOUT_MS must not exceed DATABASE_QUERY_TIMEOUT_MS (the server should cancel first)')
  }
  return {
    databaseConnectTimeoutMs: readInt(env, 'DATABASE_CONNECT_TIMEOUT_MS', 2000, 100, 600_000),
    databaseAcquireTimeoutMs: readInt(env, 'DATABASE_ACQUIRE_TIMEOUT_MS', 2000, 100, 600_000),
    databaseQueryTimeoutMs,
    databaseStatementTimeoutMs,
    databaseStartupTimeoutMs: readInt(env, 'DATABASE_STARTUP_TIMEOUT_MS', 30_000, 0, 3_600_000)
  }
}

/**
 * One organization may use at most half of a pool (default 10 connections) at once, so the
 * others always find connections; IdPs send a few requests in parallel (Entra and Okta well
 * under five per tenant), which this leaves untouched. 3000 a minute (50/s) is above what a
 * provisioning cycle sends and stops a runaway client.
 */
function readFairShare (env: NodeJS.ProcessEnv): Pick<Config, 'orgMaxConcurrentRequests' | 'rateLimitPerMinute'> {
  const pool = readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 1000)
  return {
    orgMaxConcurrentRequests: readInt(env, 'ORG_MAX_CONCURRENT_REQUESTS', Math.max(1, Math.floor(pool / 2)), 0, 100_000),
    rateLimitPerMinute: readInt(env, 'RATE_LIMIT_PER_MINUTE', 3000, 0, 10_000_000)
  }
}

/**
 * The change feed. A stream or the delivery worker is woken by Postgres notifications at
 * once; the poll interval bounds the delay when a notification is lost or unavailable
 * (embedded Postgres). Delivery retries back off from 1 s to an hour: 12 attempts span about
 * 35 minutes before a receiver is marked failing.
 */
function readEventSettings (env: NodeJS.ProcessEnv): Pick<Config, 'eventsPollIntervalMs' | 'eventStreamHeartbeatMs' | 'eventRetentionDays' |
'eventDeliveryMaxAttempts' | 'eventDeliveryRetryBaseMs' | 'eventDeliveryTimeoutMs' | 'eventReceiversAllowPrivate'> {
  return {
    eventsPollIntervalMs: readInt(env, 'EVENTS_POLL_INTERVAL_MS', 1000, 10, 600_000),
    eventStreamHeartbeatMs: readInt(env, 'EVENT_STREAM_HEARTBEAT_MS', 15_000, 10, 600_000),
    eventRetentionDays: readInt(env, 'EVENT_RETENTION_DAYS', 90, 1, 36_500),
    eventDeliveryMaxAttempts: readInt(env, 'EVENT_DELIVERY_MAX_ATTEMPTS', 12, 1, 1000),
    eventDeliveryRetryBaseMs: readInt(env, 'EVENT_DELIVERY_RETRY_BASE_MS', 1000, 1, 3_600_000),
    eventDeliveryTimeoutMs: readInt(env, 'EVENT_DELIVERY_TIMEOUT_MS', 10_000, 100, 120_000),
    eventReceiversAllowPrivate: readBool(env, 'EVENT_RECEIVERS_ALLOW_PRIVATE', false)
  }
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const maxPageSize = readInt(env, 'MAX_PAGE_SIZE', 1000, 1, 100_000)
  return Object.freeze({
    port: readInt(env, 'PORT', 8080, 0, 65535),
    host: readString(env, 'HOST') ?? '0.0.0.0',
    logLevel: readLogLevel(env),
    databaseUrl: readDatabaseUrl(env),
    dataDir: path.resolve(readString(env, 'DATA_DIR') ?? './data'),
    migrateOnStart: readBool(env, 'MIGRATE_ON_START', true),
    bearerToken: readBearerToken(env),
    publicBaseUrl: readPublicBaseUrl(env),
    databasePoolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    ...readDatabaseTimeouts(env),
    // 0 for a transaction-pooling proxy in front of Postgres (PgBouncer before 1.21), where
    // a connection's prepared statements do not follow the client.
    databasePreparedStatements: readInt(env, 'DATABASE_PREPARED_STATEMENTS', 200, 0, 10_000),
    bodyLimitBytes: readInt(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    defaultPageSize: Math.min(readInt(env, 'DEFAULT_PAGE_SIZE', 100, 1, 100_000), maxPageSize),
    maxPageSize,
    maxInlineMembers: readInt(env, 'MAX_INLINE_MEMBERS', 0, 0, 1_000_000_000),
    maxMultiValuedValues: readInt(env, 'MAX_MULTI_VALUED_VALUES', DEFAULT_MAX_MULTI_VALUED_VALUES, 1, 100_000),
    patchMaxOperations: readInt(env, 'PATCH_MAX_OPERATIONS', DEFAULT_PATCH_MAX_OPERATIONS, 1, 100_000),
    bulkMaxOperations: readInt(env, 'BULK_MAX_OPERATIONS', 1000, 1, 100_000),
    bulkMaxPayloadBytes: readInt(env, 'BULK_MAX_PAYLOAD_BYTES', 1_048_576, 1024, 1_073_741_824),
    shutdownTimeoutMs: readInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    tokenCacheTtlMs: readInt(env, 'TOKEN_CACHE_TTL_MS', 1000, 0, 60_000),
    ...readFairShare(env),
    metricsToken: readString(env, 'METRICS_TOKEN'),
    ...readEventSettings(env)
  })
}
