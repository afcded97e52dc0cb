/**
 * The admin command's logic, separate from process wiring so tests can run it on a test
 * database: organizations, and tokens with scopes, expiry and rotation. Output meant for
 * scripts (a new token) goes alone on stdout; everything else for people goes to stderr or
 * is a table on stdout. Arguments are parsed strictly: an unknown option, a missing value or
 * a malformed duration is a usage error (exit 2) that says what is wrong.
 */
import { loadConfig, type Config } from '../config.js'
import type { Db } from '../db/database.js'
import { findOrganizationByName, insertOrganization, listOrganizations, type Organization } from '../repositories/organization.repository.js'
import { ScimError } from '../scim/errors.js'
import { ReceiverService, type ReceiverView } from '../services/receiver.service.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import type { ApiTokenRecord } from '../repositories/token.repository.js'
import { CONFIGURED_TOKEN_LABEL, TokenRotationError, TokenService } from '../services/token.service.js'
import { parseScopeList, ScopeError, TOKEN_SCOPES } from '../services/token-scopes.js'
import { formatDuration, parseDuration, parseInstant, TimeInputError } from './duration.js'

export interface AdminIo {
  out (line: string): void
  err (line: string): void
}

export interface AdminOptions {
  /** Current time in ms (tests fix it); Date.now by default. */
  readonly clock?: () => number
  /** PUBLIC_BASE_URL and EVENT_RECEIVERS_ALLOW_PRIVATE, for receivers; loadConfig() by default. */
  readonly config?: Pick<Config, 'publicBaseUrl' | 'eventReceiversAllowPrivate'>
}

/** Without --scope, `token create` grants what a provisioning client needs, no more. */
const DEFAULT_SCOPES = ['scim:write']
const DAY_MS = 86_400_000
const DEFAULT_GRACE_MS = DAY_MS
const MAX_GRACE_MS = 30 * DAY_MS
const MAX_LIFETIME_MS = 3650 * DAY_MS

export const ADMIN_USAGE = `Usage: npm run --silent admin -- <command>
  org create NAME               create an organization
  org list                      list organizations
  token create --org NAME [--scope SCOPE]... [--label TEXT] [--expires-in DURATION | --expires-at DATE]
                                create a token (and the organization if needed); prints only the token.
                                Scopes: ${TOKEN_SCOPES.join(', ')} (repeat --scope or separate
                                with commas; default scim:write, which includes scim:read)
  token rotate ID [--grace DURATION] [--expires-in DURATION | --expires-at DATE]
                                print a new token with the same organization, scopes and label; the old
                                one keeps working for the grace period (default 24h, at most 30d, 0s: none).
                                The new token keeps the old one's lifetime unless told otherwise
  token list [--org NAME]       list tokens: scopes, label, created, expires, last used, state (never values)
  token revoke ID               revoke a token at once
  receiver add --org NAME --url URL [--audience TEXT]
                                push every later change of the organization to URL as a signed SET (RFC 8935);
                                prints the receiver's id. Needs PUBLIC_BASE_URL (the SETs' issuer)
  receiver list [--org NAME]    list receivers: state, URL, queued and refused events, last error
  receiver enable ID            resume pushing to a failing receiver
  receiver remove ID            remove a receiver and its queue
DURATION is a whole number and a unit: 90d, 24h, 30m, 45s, 2w.
DATE is YYYY-MM-DD (start of that day, UTC) or YYYY-MM-DDTHH:MM[:SS] with Z or ±HH:MM.`

class UsageError extends Error {
  override name = 'UsageError'
}

interface ParsedArgs {
  readonly positional: string[]
  readonly options: Map<string, string[]>
}

/** `--name value` pairs (only the names in `allowed`; `repeatable` ones may recur) and positional words. */
function parseArgs (args: readonly string[], allowed: readonly string[], repeatable: readonly string[] = []): ParsedArgs {
  const positional: string[] = []
  const options = new Map<string, string[]>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (!arg.startsWith('--')) { positional.push(arg); continue }
    if (!allowed.includes(arg)) throw new UsageError(`Unknown option ${arg} (accepted here: ${allowed.join(', ') || 'none'}).`)
    const value = args[i + 1]
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value.`)
    const seen = options.get(arg) ?? []
    if (seen.length > 0 && !repeatable.includes(arg)) throw new UsageError(`${arg} may be given only once.`)
    options.set(arg, [...seen, value])
    i++
  }
  return { positional, options }
}

function single (parsed: ParsedArgs, name: string): string | undefined {
  return parsed.options.get(name)?.[0]
}

function validName (name: string | undefined): name is string {
  return name !== undefined && name.trim() !== '' && name.length <= 200
}

/** `--expires-in` or `--expires-at`: undefined when neither is given. */
function expiryOf (parsed: ParsedArgs, now: number): Date | undefined {
  const expiresIn = single(parsed, '--expires-in')
  const expiresAt = single(parsed, '--expires-at')
  if (expiresIn !== undefined && expiresAt !== undefined) throw new UsageError('Give --expires-in or --expires-at, not both.')
  if (expiresIn !== undefined) return new Date(now + parseDuration(expiresIn, '--expires-in', { min: 60_000, max: MAX_LIFETIME_MS }))
  if (expiresAt === undefined) return undefined
  const instant = parseInstant(expiresAt, '--expires-at')
  if (instant.getTime() <= now) throw new UsageError(`--expires-at: ${instant.toISOString()} is not in the future.`)
  if (instant.getTime() - now > MAX_LIFETIME_MS) throw new UsageError(`--expires-at: ${instant.toISOString()} is more than ${formatDuration(MAX_LIFETIME_MS)} away.`)
  return instant
}

async function orgCommand (db: Db, args: string[], io: AdminIo): Promise<number> {
  const [action, name] = args
  if (action === 'list') {
    for (const org of await listOrganizations(db)) io.out(`${org.id}\t${org.name}\t${org.createdAt.toISOString()}`)
    return 0
  }
  if (action === 'create' && validName(name)) {
    try {
      const org = await insertOrganization(db, name)
      io.out(org.id)
      return 0
    } catch (error) {
      if (!isConstraintViolation(error, 'organizations__name__key')) throw error
      io.err(`Organization "${name}" exists already.`)
      return 1
    }
  }
  io.err(ADMIN_USAGE)
  return 2
}

function stateOf (token: ApiTokenRecord, now: number): string {
  if (token.revokedAt !== null) return `revoked ${token.revokedAt.toISOString()}`
  if (token.expiresAt !== null && token.expiresAt.getTime() <= now) return `expired ${token.expiresAt.toISOString()}`
  return 'active'
}

/** One tab-separated line per token; the first two fields (id, organization) stay first for scripts. */
function formatToken (token: ApiTokenRecord, now: number): string {
  return [
    token.id,
    token.organizationName,
    stateOf(token, now),
    `scopes ${token.scopes.join(',')}`,
    `label ${token.label === null ? '-' : JSON.stringify(token.label)}`,
    `created ${token.createdAt.toISOString()}`,
    `expires ${token.expiresAt?.toISOString() ?? 'never'}`,
    `last used ${token.lastUsedAt?.toISOString() ?? 'never'}`,
    ...(token.rotatedFrom !== null ? [`replaces ${token.rotatedFrom}`] : [])
  ].join('\t')
}

async function createToken (tokens: TokenService, args: string[], io: AdminIo, now: number): Promise<number> {
  const parsed = parseArgs(args, ['--org', '--scope', '--label', '--expires-in', '--expires-at'], ['--scope'])
  if (parsed.positional.length > 0) throw new UsageError(`Unexpected argument "${parsed.positional[0]}".`)
  const org = single(parsed, '--org')
  if (!validName(org)) throw new UsageError('token create needs --org NAME.')
  const label = single(parsed, '--label')
  if (label !== undefined && !validName(label)) throw new UsageError('--label must be 1 to 200 characters.')
  if (label === CONFIGURED_TOKEN_LABEL) throw new UsageError(`The label ${CONFIGURED_TOKEN_LABEL} is reserved for the configured token.`)
  const scopes = parseScopeList(parsed.options.get('--scope') ?? DEFAULT_SCOPES)
  const created = await tokens.create(org, { scopes, label: label ?? null, expiresAt: expiryOf(parsed, now) ?? null })
  io.out(created.token)
  io.err(`Token ${created.id} for ${org}: scopes ${created.scopes.join(',')}, expires ${created.expiresAt?.toISOString() ?? 'never'}.`)
  return 0
}

async function rotateToken (tokens: TokenService, args: string[], io: AdminIo, now: number): Promise<number> {
  const parsed = parseArgs(args, ['--grace', '--expires-in', '--expires-at'])
  const [id, extra] = parsed.positional
  if (id === undefined) throw new UsageError('token rotate needs the id of the token (see token list).')
  if (extra !== undefined) throw new UsageError(`Unexpected argument "${extra}".`)
  const grace = single(parsed, '--grace')
  const graceMs = grace === undefined ? DEFAULT_GRACE_MS : parseDuration(grace, '--grace', { min: 0, max: MAX_GRACE_MS })
  const expiresAt = expiryOf(parsed, now)
  try {
    const rotated = await tokens.rotate(id, { graceMs, ...(expiresAt !== undefined ? { expiresAt } : {}) })
    io.out(rotated.token)
    io.err(`Token ${rotated.id} replaces ${rotated.previous.id}, which keeps working until ${rotated.previous.worksUntil.toISOString()}. ` +
      `Scopes ${rotated.scopes.join(',')}, expires ${rotated.expiresAt?.toISOString() ?? 'never'}.`)
    return 0
  } catch (error) {
    if (!(error instanceof TokenRotationError)) throw error
    io.err(error.message)
    return 1
  }
}

async function tokenCommand (db: Db, args: string[], io: AdminIo, clock: () => number): Promise<number> {
  const tokens = new TokenService(db, clock)
  const [action, ...rest] = args
  if (action === 'create') return createToken(tokens, rest, io, clock())
  if (action === 'rotate') return rotateToken(tokens, rest, io, clock())
  if (action === 'list') {
    const parsed = parseArgs(rest, ['--org'])
    if (parsed.positional.length > 0) throw new UsageError(`Unexpected argument "${parsed.positional[0]}".`)
    const org = single(parsed, '--org')
    if (org !== undefined && (await findOrganizationByName(db, org)) === undefined) {
      io.err(`No organization "${org}".`)
      return 1
    }
    const now = clock()
    for (const token of await tokens.list(org)) io.out(formatToken(token, now))
    return 0
  }
  if (action === 'revoke' && rest.length === 1) {
    const id = rest[0] as string
    if (await tokens.revoke(id)) {
      io.err(`Token ${id} revoked.`)
      return 0
    }
    io.err(`No active token with id ${id}.`)
    return 1
  }
  throw new UsageError(action === undefined ? 'token needs a command.' : `Unknown or incomplete token command "${args.join(' ')}".`)
}

function formatReceiver (receiver: ReceiverView, organization: string): string {
  return [
    receiver.id, organization, receiver.state, receiver.url, `audience ${receiver.audience}`, `pending ${receiver.pending}`,
    `rejected ${receiver.rejected}`, `created ${receiver.createdAt}`, ...(receiver.lastError !== undefined ? [`last error ${JSON.stringify(receiver.lastError)}`] : [])
  ].join('\t')
}

async function receiverCommand (db: Db, args: string[], io: AdminIo, config: AdminOptions['config']): Promise<number> {
  const settings = config ?? loadConfig()
  const receivers = new ReceiverService(db, { publicBaseUrl: settings.publicBaseUrl, allowPrivate: settings.eventReceiversAllowPrivate })
  const [action, ...rest] = args
  const organizationNamed = async (name: string | undefined): Promise<Organization | undefined> => {
    if (!validName(name)) throw new UsageError('--org needs the organization\'s name.')
    const org = await findOrganizationByName(db, name)
    if (org === undefined) io.err(`No organization "${name}".`)
    return org
  }
  try {
    if (action === 'add') {
      const parsed = parseArgs(rest, ['--org', '--url', '--audience'])
      if (parsed.positional.length > 0) throw new UsageError(`Unexpected argument "${parsed.positional[0]}".`)
      const url = single(parsed, '--url')
      if (url === undefined) throw new UsageError('receiver add needs --url URL.')
      const org = await organizationNamed(single(parsed, '--org'))
      if (org === undefined) return 1
      const audience = single(parsed, '--audience')
      const receiver = await receivers.register(org.id, { url, ...(audience !== undefined ? { audience } : {}) })
      io.out(receiver.id)
      io.err(`Receiver ${receiver.id} of ${org.name}: SETs from ${receiver.issuer}, keys at ${receiver.jwksUri}.`)
      return 0
    }
    if (action === 'list') {
      const parsed = parseArgs(rest, ['--org'])
      if (parsed.positional.length > 0) throw new UsageError(`Unexpected argument "${parsed.positional[0]}".`)
      const name = single(parsed, '--org')
      const org = name === undefined ? undefined : await organizationNamed(name)
      if (name !== undefined && org === undefined) return 1
      const names = new Map((await listOrganizations(db)).map(o => [o.id, o.name]))
      for (const receiver of await receivers.list(org?.id)) io.out(formatReceiver(receiver, names.get(receiver.organizationId) ?? '-'))
      return 0
    }
    if ((action === 'enable' || action === 'remove') && rest.length === 1) {
      const id = rest[0] as string
      if (action === 'enable') await receivers.enable(undefined, id)
      else await receivers.remove(undefined, id)
      io.err(`Receiver ${id} ${action === 'enable' ? 'enabled' : 'removed'}.`)
      return 0
    }
  } catch (error) {
    if (!(error instanceof ScimError)) throw error
    io.err(error.detail)
    return 1
  }
  throw new UsageError(action === undefined ? 'receiver needs a command.' : `Unknown or incomplete receiver command "${args.join(' ')}".`)
}

export async function runAdmin (db: Db, argv: string[], io: AdminIo, options: AdminOptions = {}): Promise<number> {
  const [group, ...args] = argv
  try {
    if (group === 'org') return await orgCommand(db, args, io)
    if (group === 'token') return await tokenCommand(db, args, io, options.clock ?? Date.now)
    if (group === 'receiver') return await receiverCommand(db, args, io, options.config)
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TimeInputError || error instanceof ScopeError)) throw error
    io.err(error.message)
    io.err('Run with --help for usage.')
    return 2
  }
  io.err(ADMIN_USAGE)
  return 2
}
