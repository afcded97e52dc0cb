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

export interface Database {
  organizations: OrganizationsTable
  api_tokens: ApiTokensTable
  users: UsersTable
  groups: GroupsTable
  group_members: GroupMembersTable
  schema_migrations: SchemaMigrationsTable
}
