/**
 * The filter differential fixture (test/fixtures/filter-users.json): rows inserted directly,
 * and the SCIM resources the mappers would build from them (attributes + columns + meta +
 * groups/members), which `evaluateFilter` judges. Timestamps are taken from the rows as read
 * back, so both sides see the same instants.
 */
import { readFileSync } from 'node:fs'
import type { Db } from '../../src/db/database.js'
import type { ScimResourceObject } from '../../src/scim/resource.js'

interface FixtureUser {
  id: string
  user_name: string
  external_id: string | null
  display_name: string | null
  user_type: string
  active: boolean
  attributes: Record<string, unknown>
  version: number
  created_at: string
  last_modified: string
}

interface FixtureGroup {
  id: string
  display_name: string
  external_id: string | null
  attributes: Record<string, unknown>
  version: number
  created_at: string
  last_modified: string
  members: string[]
}

export const FIXTURE = JSON.parse(readFileSync(new URL('../fixtures/filter-users.json', import.meta.url), 'utf8')) as {
  organizationId: string
  users: FixtureUser[]
  groups: FixtureGroup[]
}

export const BASE_URL = 'https://scim.example.com/scim/v2'

export interface LoadedFixture {
  readonly organizationId: string
  readonly users: Map<string, ScimResourceObject>
  readonly groups: Map<string, ScimResourceObject>
}

export async function loadFilterFixture (db: Db): Promise<LoadedFixture> {
  const org = FIXTURE.organizationId
  await db.insertInto('organizations').values([{ id: org, name: 'filters' }, { name: 'other' }]).execute()
  const other = (await db.selectFrom('organizations').select('id').where('name', '=', 'other').executeTakeFirstOrThrow()).id
  await db.insertInto('users').values(FIXTURE.users.map(u => ({ ...u, organization_id: org, attributes: JSON.stringify(u.attributes) }))).execute()
  // A look-alike in another organization: the caller's organization_id condition excludes it.
  await db.insertInto('users').values({ organization_id: other, user_name: 'bob', attributes: JSON.stringify({ userName: 'bob' }) }).execute()
  await db.insertInto('groups').values(FIXTURE.groups.map(({ members: _m, ...g }) => ({ ...g, organization_id: org, attributes: JSON.stringify(g.attributes) }))).execute()
  const memberships = FIXTURE.groups.flatMap(g => g.members.map(userId => ({ organization_id: org, group_id: g.id, user_id: userId })))
  await db.insertInto('group_members').values(memberships).execute()

  const userRows = await db.selectFrom('users').selectAll().where('organization_id', '=', org).execute()
  const groupRows = await db.selectFrom('groups').selectAll().where('organization_id', '=', org).execute()
  const groupName = new Map(groupRows.map(g => [g.id, g.display_name]))
  const userById = new Map(userRows.map(u => [u.id, u]))
  const meta = (type: string, row: { id: string, created_at: Date, last_modified: Date, version: number }) => ({
    resourceType: type,
    created: new Date(row.created_at).toISOString(),
    lastModified: new Date(row.last_modified).toISOString(),
    location: `${BASE_URL}/${type}s/${row.id}`,
    version: `W/"${row.version}"`
  })

  const users = new Map<string, ScimResourceObject>()
  for (const row of userRows) {
    const groups = memberships.filter(m => m.user_id === row.id).map(m => ({
      value: m.group_id, $ref: `${BASE_URL}/Groups/${m.group_id}`, display: groupName.get(m.group_id), type: 'direct'
    }))
    const object: ScimResourceObject = { ...row.attributes, id: row.id, userName: row.user_name, userType: row.user_type, active: row.active }
    if (row.external_id !== null) object.externalId = row.external_id
    if (row.display_name !== null) object.displayName = row.display_name
    object.meta = meta('User', row)
    if (groups.length > 0) object.groups = groups
    users.set(row.id, object)
  }

  const groups = new Map<string, ScimResourceObject>()
  for (const row of groupRows) {
    const object: ScimResourceObject = { ...row.attributes, id: row.id, displayName: row.display_name }
    if (row.external_id !== null) object.externalId = row.external_id
    object.meta = meta('Group', row)
    const list = memberships.filter(m => m.group_id === row.id).map(m => {
      const user = userById.get(m.user_id)
      return { value: m.user_id, $ref: `${BASE_URL}/Users/${m.user_id}`, display: user?.display_name ?? user?.user_name, type: 'User' }
    })
    if (list.length > 0) object.members = list
    groups.set(row.id, object)
  }
  return { organizationId: org, users, groups }
}
