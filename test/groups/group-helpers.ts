/**
 * Shared pieces of the /Groups tests: seeding users straight into the database (fast, and
 * independent of /Users), and a small SCIM client over `app.inject`.
 */
import type { FastifyInstance } from 'fastify'
import type { Db } from '../../src/db/database.js'

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'
export const USER_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'

export interface ScimResponse {
  readonly status: number
  readonly headers: Record<string, unknown>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any
  readonly text: string
}

export type ScimClient = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers?: Record<string, string>) => Promise<ScimResponse>

export function scimClient (app: FastifyInstance, auth: { authorization: string }): ScimClient {
  return async (method, url, body, headers = {}) => {
    const response = await app.inject({
      method,
      url: url.startsWith('/scim/') ? url : `/scim/v2${url}`,
      headers: { ...auth, 'content-type': 'application/scim+json', ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {})
    })
    const text = response.body
    return { status: response.statusCode, headers: response.headers, body: text === '' ? undefined : JSON.parse(text), text }
  }
}

export async function organizationId (db: Db, name = 'acme'): Promise<string> {
  return (await db.selectFrom('organizations').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id
}

let counter = 0

/** Inserts users directly and returns their ids, in creation order. */
export async function insertUsers (db: Db, organization: string, count: number, options: { userType?: string, displayName?: boolean } = {}): Promise<string[]> {
  const rows = Array.from({ length: count }, () => {
    const n = ++counter
    const userName = `user${n}-${Math.random().toString(36).slice(2, 8)}@example.com`
    const displayName = options.displayName === false ? null : `User ${n}`
    const userType = options.userType ?? 'customer'
    // The columns and the canonical resource in `attributes`, as user.mapper.ts writes them.
    const resource = { schemas: [USER_URN], userName, ...(displayName !== null ? { displayName } : {}), userType, active: true }
    return {
      organization_id: organization,
      user_name: userName,
      display_name: displayName,
      user_type: userType,
      attributes: JSON.stringify(resource)
    }
  })
  const inserted = await db.insertInto('users').values(rows).returning('id').execute()
  return inserted.map(row => row.id)
}

export async function memberIds (db: Db, groupId: string): Promise<string[]> {
  const rows = await db.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).orderBy('user_id').execute()
  return rows.map(row => row.user_id)
}

export const patchBody = (...operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations })

export const sorted = (ids: readonly string[]): string[] => [...ids].sort()
