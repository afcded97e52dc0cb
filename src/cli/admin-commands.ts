/**
 * The admin command's logic, separate from process wiring so tests can run it on a test
 * database: `token create --org NAME`, `token list [--org NAME]`, `token revoke ID`,
 * `org create NAME`, `org list`. Output meant for scripts (the new token) goes alone on
 * stdout; everything else for people goes to stderr or is a table on stdout.
 */
import type { Db } from '../db/database.js'
import { findOrganizationByName, insertOrganization, listOrganizations } from '../repositories/organization.repository.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import { TokenService } from '../services/token.service.js'

export interface AdminIo {
  out (line: string): void
  err (line: string): void
}

export const ADMIN_USAGE = `Usage: npm run --silent admin -- <command>
  org create NAME               create an organization
  org list                      list organizations
  token create --org NAME       create a token (and the organization if needed); prints only the token
  token list [--org NAME]       list tokens (never their values)
  token revoke ID               revoke a token`

function option (args: string[], name: string): string | undefined {
  const index = args.indexOf(name)
  if (index === -1) return undefined
  const value = args[index + 1]
  return value === undefined || value.startsWith('--') ? '' : value
}

function validName (name: string | undefined): name is string {
  return name !== undefined && name.trim() !== '' && name.length <= 200
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

async function tokenCommand (db: Db, args: string[], io: AdminIo): Promise<number> {
  const tokens = new TokenService(db)
  const [action, ...rest] = args
  if (action === 'create') {
    const org = option(rest, '--org')
    if (!validName(org)) { io.err('token create needs --org NAME'); return 2 }
    const created = await tokens.create(org, option(rest, '--label') || null)
    io.out(created.token)
    return 0
  }
  if (action === 'list') {
    const org = option(rest, '--org')
    if (org !== undefined && (await findOrganizationByName(db, org)) === undefined) {
      io.err(`No organization "${org}".`)
      return 1
    }
    for (const t of await tokens.list(org)) {
      const state = t.revokedAt !== null ? `revoked ${t.revokedAt.toISOString()}` : 'active'
      io.out(`${t.id}\t${t.organizationName}\t${state}\tcreated ${t.createdAt.toISOString()}\tlast used ${t.lastUsedAt?.toISOString() ?? 'never'}`)
    }
    return 0
  }
  if (action === 'revoke' && rest[0] !== undefined) {
    if (await tokens.revoke(rest[0])) {
      io.err(`Token ${rest[0]} revoked.`)
      return 0
    }
    io.err(`No active token with id ${rest[0]}.`)
    return 1
  }
  io.err(ADMIN_USAGE)
  return 2
}

export async function runAdmin (db: Db, argv: string[], io: AdminIo): Promise<number> {
  const [group, ...args] = argv
  if (group === 'org') return orgCommand(db, args, io)
  if (group === 'token') return tokenCommand(db, args, io)
  io.err(ADMIN_USAGE)
  return 2
}
