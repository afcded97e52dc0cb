/**
 * The one place that translates between `users` rows and the domain's user record.
 *
 * Storage layout (migrations/0002): `attributes` holds the canonical SCIM resource minus what
 * is computed or secret (id, meta, groups, password). userName, externalId, displayName,
 * userType and active are ALSO copied into columns, so lookups use indexes; the filter
 * compiler (filter-sql.ts) relies on both being present and equal.
 */
import type { Selectable } from 'kysely'
import type { UsersTable } from '../db/schema.js'

/** A user as stored, before `groups` and `meta` are added for a response. */
export interface UserRecord {
  readonly id: string
  readonly organizationId: string
  readonly userName: string
  readonly userType: string
  readonly active: boolean
  /** The canonical resource without id/meta/groups/password. */
  readonly attributes: Record<string, unknown>
  readonly version: number
  readonly createdAt: Date
  readonly lastModified: Date
}

/** A direct membership, as the `groups` attribute of a user shows it. */
export interface UserGroupRecord {
  readonly userId: string
  readonly groupId: string
  readonly displayName: string
}

/** One element of the jsonb array the user queries aggregate memberships into. */
export interface UserGroupJson {
  readonly value: string
  readonly display: string
}

export interface UserWithGroups {
  readonly record: UserRecord
  readonly groups: UserGroupRecord[]
}

/** Columns written on insert and update. */
export interface UserWrite {
  readonly user_name: string
  readonly external_id: string | null
  readonly display_name: string | null
  readonly user_type: string
  readonly active: boolean
  readonly attributes: string
}

/** Columns read for a user: never `password_hash`. */
export const USER_COLUMNS = [
  'users.id', 'users.organization_id', 'users.user_name', 'users.user_type', 'users.active',
  'users.attributes', 'users.version', 'users.created_at', 'users.last_modified'
] as const

export type UserRow = Pick<Selectable<UsersTable>,
  'id' | 'organization_id' | 'user_name' | 'user_type' | 'active' | 'attributes' | 'version' | 'created_at' | 'last_modified'>

// Never stored in `attributes`: computed on read (id, meta, groups) or kept hashed (password).
const NOT_STORED = new Set(['id', 'meta', 'groups', 'password'])

export function toUserRecord (row: UserRow): UserRecord {
  // pglite and pg both parse jsonb; a string would mean a driver returning raw text.
  const attributes = typeof row.attributes === 'string' ? JSON.parse(row.attributes) as Record<string, unknown> : row.attributes
  return {
    id: row.id,
    organizationId: row.organization_id,
    userName: row.user_name,
    userType: row.user_type,
    active: row.active,
    attributes,
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    lastModified: new Date(row.last_modified)
  }
}

const optionalString = (value: unknown): string | null => typeof value === 'string' ? value : null

/**
 * Columns for a canonical resource. The caller has validated it: userName is a string,
 * userType defaulted, active set.
 */
export function toUserWrite (resource: Record<string, unknown>): UserWrite {
  const stored: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(resource)) if (!NOT_STORED.has(key)) stored[key] = value
  return {
    user_name: String(resource.userName),
    external_id: optionalString(resource.externalId),
    display_name: optionalString(resource.displayName),
    user_type: String(resource.userType),
    active: resource.active !== false,
    attributes: JSON.stringify(stored)
  }
}

/** A row with an optional `groups` jsonb array (absent when groups were not loaded). */
export function toUserWithGroups (row: UserRow & { groups?: UserGroupJson[] | string | null }): UserWithGroups {
  const record = toUserRecord(row)
  const raw = typeof row.groups === 'string' ? JSON.parse(row.groups) as UserGroupJson[] : row.groups ?? []
  return { record, groups: raw.map(group => ({ userId: record.id, groupId: group.value, displayName: group.display })) }
}
