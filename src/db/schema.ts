/** Kysely table types: the database as the repositories see it. */
import type { ColumnType, Generated } from 'kysely'

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>
type Json = ColumnType<Record<string, unknown>, string, string>

export interface OrganizationsTable {
  id: Generated<string>
  name: string
  created_at: Generated<Date>
}

export interface ApiTokensTable {
  id: Generated<string>
  organization_id: string
  token_hash: string
  label: string | null
  created_at: Generated<Date>
  last_used_at: Date | null
  revoked_at: Date | null
  /** Written as a Postgres array literal (see token.repository.ts), read as an array. */
  scopes: ColumnType<string[], string, string>
  expires_at: Date | null
  rotated_from: string | null
}

export interface UsersTable {
  id: Generated<string>
  organization_id: string
  user_name: string
  external_id: string | null
  display_name: string | null
  user_type: Generated<string>
  active: Generated<boolean>
  attributes: Json
  password_hash: string | null
  version: Generated<number>
  created_at: Timestamp
  last_modified: Timestamp
}

export interface GroupsTable {
  id: Generated<string>
  organization_id: string
  display_name: string
  external_id: string | null
  attributes: Json
  version: Generated<number>
  created_at: Timestamp
  last_modified: Timestamp
}

export interface GroupMembersTable {
  organization_id: string
  group_id: string
  user_id: string
  user_type: Generated<string>
  created_at: Generated<Date>
}

export interface SchemaMigrationsTable {
  version: string
  name: string
  checksum: string
  applied_at: Generated<Date>
}

/** Each organization's last feed position; written only by scim_position_events (migration 0010). */
export interface EventSequencesTable {
  organization_id: string
  last_seq: ColumnType<string, string | number, string | number>
}

export interface EventsTable {
  organization_id: string
  /** bigint: read as a string by pg, compared in SQL. */
  seq: ColumnType<string, string | number, never>
  /** The feed position (bigint), given after commit by scim_position_events (migration 0010); null until then. */
  position: ColumnType<string | null, never, never>
  occurred_at: Generated<Date>
  resource_type: string
  resource_id: string
  operation: string
  resource_version: number | null
  attributes: string[]
  members_added: string[]
  members_removed: string[]
  actor_token_id: string | null
  actor_label: string | null
  request_id: string | null
}

export interface EventReceiversTable {
  id: Generated<string>
  organization_id: string
  url: string
  audience: string | null
  state: Generated<string>
  created_at: Generated<Date>
  failing_since: Date | null
  last_error: string | null
}

export interface EventDeliveriesTable {
  receiver_id: string
  organization_id: string
  seq: ColumnType<string, string | number, never>
  resource_id: string
  state: Generated<string>
  attempts: Generated<number>
  next_attempt_at: Timestamp
  last_error: string | null
}

export interface SigningKeysTable {
  kid: string
  organization_id: string
  algorithm: string
  public_jwk: Json
  private_jwk: Json
  created_at: Generated<Date>
  retired_at: Date | null
}

export interface Database {
  organizations: OrganizationsTable
  api_tokens: ApiTokensTable
  users: UsersTable
  groups: GroupsTable
  group_members: GroupMembersTable
  schema_migrations: SchemaMigrationsTable
  event_sequences: EventSequencesTable
  events: EventsTable
  event_receivers: EventReceiversTable
  event_deliveries: EventDeliveriesTable
  signing_keys: SigningKeysTable
}
