/**
 * The one place that translates between `groups` / `group_members` rows, the domain's group
 * records, and the SCIM Group payload (RFC 7643 §4.2). Column names never reach a response.
 *
 * Storage layout (migrations/0002): displayName and externalId have columns (the unique index
 * on lower(display_name) decides uniqueness); `attributes` holds whatever else of the canonical
 * resource is stored (nothing today: the Group schema has no other writable attribute).
 * Members live in `group_members` only, never in `attributes`.
 */
import type { Selectable } from 'kysely'
import type { GroupsTable } from '../db/schema.js'
import type { StreamedArray } from '../scim/json-stream.js'
import { projectResource, wantsAttribute, type ScimProjectionParams } from '../scim/projection.js'
import { assignAttributes, resourceMeta, type ScimResourceObject } from '../scim/resource.js'
import { GROUP_RESOURCE, GROUP_SCHEMA } from '../scim/schema/registry.js'

export interface GroupRecord {
  readonly id: string
  readonly organizationId: string
  readonly displayName: string
  readonly externalId: string | null
  readonly attributes: Record<string, unknown>
  readonly version: number
  readonly createdAt: Date
  readonly lastModified: Date
}

/** One member as a response shows it: the user's id and display (displayName, else userName). */
export interface GroupMemberRecord {
  readonly userId: string
  readonly display: string
}

/** Columns written on insert and update. */
export interface GroupWrite {
  readonly display_name: string
  readonly external_id: string | null
  readonly attributes: string
}

export const GROUP_COLUMNS = [
  'groups.id', 'groups.organization_id', 'groups.display_name', 'groups.external_id', 'groups.attributes',
  'groups.version', 'groups.created_at', 'groups.last_modified'
] as const

export type GroupRow = Selectable<GroupsTable>

// Computed on read (id, meta, members) or kept in columns (displayName, externalId).
const NOT_IN_ATTRIBUTES = new Set(['schemas', 'id', 'meta', 'members', 'displayName', 'externalId'])

export function toGroupRecord (row: GroupRow): GroupRecord {
  const attributes = typeof row.attributes === 'string' ? JSON.parse(row.attributes) as Record<string, unknown> : row.attributes
  return {
    id: row.id,
    organizationId: row.organization_id,
    displayName: row.display_name,
    externalId: row.external_id,
    attributes,
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    lastModified: new Date(row.last_modified)
  }
}

/** Columns for a canonical (validated) Group resource; `members` is the caller's business. */
export function toGroupWrite (resource: Record<string, unknown>): GroupWrite {
  const stored: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(resource)) if (!NOT_IN_ATTRIBUTES.has(key)) stored[key] = value
  return {
    display_name: String(resource.displayName),
    external_id: typeof resource.externalId === 'string' ? resource.externalId : null,
    attributes: JSON.stringify(stored)
  }
}

export function toGroupMemberRecord (row: { user_id: string, display_name: string | null, user_name: string }): GroupMemberRecord {
  return { userId: row.user_id, display: row.display_name ?? row.user_name }
}

/**
 * The Group resource without `members`, as PATCH sees it (the engine never gets members) and
 * as responses start from.
 */
export function toScimGroup (record: GroupRecord, baseUrl: string): ScimResourceObject {
  // Assigned key by key (no conditional spreads): a list builds this for every group of its page.
  const group: ScimResourceObject = { schemas: [GROUP_SCHEMA], id: record.id }
  if (record.externalId !== null) group.externalId = record.externalId
  group.displayName = record.displayName
  assignAttributes(group, record.attributes)
  group.meta = resourceMeta('Group', record, baseUrl)
  return group
}

/** Which member sub-attributes a response carries (projection of `members.*`). */
export interface ScimMemberShape {
  readonly value: boolean
  readonly display: boolean
  readonly ref: boolean
  readonly type: boolean
}

/**
 * The member sub-attributes the request wants, or undefined when `members` is not returned
 * at all (`excludedAttributes=members`, `attributes=displayName`): then group_members is
 * not read (CLIENTS.md "Lists and lookups").
 */
export function memberShapeOf (projection: ScimProjectionParams): ScimMemberShape | undefined {
  if (!wantsAttribute(GROUP_RESOURCE, projection, 'members')) return undefined
  const wants = (sub: string): boolean => wantsAttribute(GROUP_RESOURCE, projection, `members.${sub}`)
  return { value: wants('value'), display: wants('display'), ref: wants('$ref'), type: wants('type') }
}

/**
 * The response document: the projected group plus `members` (already in projected form, or a
 * StreamedArray of such entries: a large list is attached, never copied). `members`
 * undefined: the key is left out entirely.
 */
export function toScimGroupResponse (
  record: GroupRecord, baseUrl: string, projection: ScimProjectionParams, members: unknown[] | StreamedArray | undefined
): ScimResourceObject {
  const projected = projectResource(GROUP_RESOURCE, toScimGroup(record, baseUrl), projection)
  // members, then meta last; copied key by key (an object rest pattern is the slow path).
  const out: ScimResourceObject = {}
  for (const key in projected) if (key !== 'meta') out[key] = projected[key]
  if (members !== undefined) out.members = members
  if (projected.meta !== undefined) out.meta = projected.meta
  return out
}

/** One member entry, built once in its final projected form (large groups: no second copy). */
export function toScimMember (member: GroupMemberRecord, baseUrl: string, shape: ScimMemberShape): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (shape.value) out.value = member.userId
  if (shape.display) out.display = member.display
  if (shape.ref) out.$ref = `${baseUrl}/Users/${member.userId}`
  if (shape.type) out.type = 'User'
  return out
}
