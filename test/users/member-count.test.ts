/**
 * A group's members through the users endpoint (`filter=groups.value eq "<id>"`, how the
 * console pages and counts them): totalResults is counted from the membership table, and is
 * the number of users the same filter lists, on every paging style, for unknown ids and for
 * another organization's group (0: its ids do not exist here).
 */
import { parseResolvedFilter } from '../../src/scim/filter/resolve.js'
import { USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { userCountQuery } from '../../src/repositories/user.repository.js'
import t from 'tap'
import { build } from '../helpers/app.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const JSON_TYPE = { 'content-type': 'application/scim+json' }

t.test('totalResults of groups.value eq is the group\'s members, nothing else', async t => {
  const { app, auth, db, tokenFor } = await build(t)
  const post = async (url: string, payload: object, headers = auth): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: `/scim/v2${url}`, headers: { ...headers, ...JSON_TYPE }, payload })
    t.equal(res.statusCode, 201, res.body)
    return res.json().id
  }
  const users: string[] = []
  for (let i = 0; i < 5; i++) users.push(await post('/Users', { schemas: [USER], userName: `member${i}@example.com` }))
  await post('/Users', { schemas: [USER], userName: 'admin@example.com', userType: 'administrator' })
  const team = await post('/Groups', { schemas: [GROUP], displayName: 'Team', members: users.slice(0, 3).map(value => ({ value })) })
  const other = await post('/Groups', { schemas: [GROUP], displayName: 'Other', members: users.slice(2).map(value => ({ value })) })
  const empty = await post('/Groups', { schemas: [GROUP], displayName: 'Empty' })
  const globex = await tokenFor('globex')
  const globexUser = await post('/Users', { schemas: [USER], userName: 'g@example.com' }, globex)
  const foreign = await post('/Groups', { schemas: [GROUP], displayName: 'Foreign', members: [{ value: globexUser }] }, globex)

  const list = async (filter: string, extra = ''): Promise<{ totalResults: number, Resources: Array<{ id: string }>, nextCursor?: string }> => {
    const res = await app.inject({ url: `/scim/v2/Users?filter=${encodeURIComponent(filter)}${extra}`, headers: auth })
    t.equal(res.statusCode, 200, res.body)
    return res.json()
  }
  for (const [name, id, expected] of [['Team', team, 3], ['Other', other, 3], ['Empty', empty, 0], ['another organization\'s group', foreign, 0],
    ['an unknown id', '7d1c50a8-1111-4aaa-8bbb-000000000000', 0], ['the id in capitals', team.toUpperCase(), 3]] as const) {
    const filter = `groups.value eq "${id}"`
    const counted = await list(filter, '&count=0')
    t.equal(counted.totalResults, expected, `${name}: count=0 says ${expected}`)
    const all = await list(filter, '&count=100')
    t.equal(all.totalResults, expected, `${name}: index paging says ${expected}`)
    t.equal(all.Resources.length, expected, `${name}: and lists as many`)
    const joined = await list(`${filter} and userName pr`, '&count=0')
    t.equal(joined.totalResults, expected, `${name}: the same as counted by the users' own query`)
  }

  const first = await list(`groups.value eq "${team}"`, '&count=2&cursor=')
  t.equal(first.totalResults, 3, 'a cursor page carries the same total')
  t.equal(first.Resources.length, 2)
  const second = await list(`groups.value eq "${team}"`, `&count=2&cursor=${encodeURIComponent(first.nextCursor!)}`)
  t.equal(second.totalResults, 3)
  t.same([...first.Resources, ...second.Resources].map(u => u.id).sort(), users.slice(0, 3).sort(), 'the pages list every member once')

  // After a member is removed, the count follows at once (no cached counter).
  const patch = await app.inject({
    method: 'PATCH', url: `/scim/v2/Groups/${team}`, headers: { ...auth, ...JSON_TYPE },
    payload: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${users[0]}"]` }] }
  })
  t.equal(patch.statusCode, 204)
  t.equal((await list(`groups.value eq "${team}"`, '&count=0')).totalResults, 2)

  t.test('the count reads one range of the membership key, not every user', async t => {
    const members = userCountQuery(db, 'org', parseResolvedFilter(USER_RESOURCE, `groups.value eq "${team}"`)).compile().sql
    t.match(members, /from "group_members"/)
    t.notMatch(members, /from "users"/, 'no user row is read')
    const combined = userCountQuery(db, 'org', parseResolvedFilter(USER_RESOURCE, `groups.value eq "${team}" and active eq true`)).compile().sql
    t.match(combined, /from "users"/, 'any other filter counts users as before')
  })
})
