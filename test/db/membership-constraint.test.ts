/**
 * The customer-only membership rule, enforced by the database itself (migration 0002).
 */
import t from 'tap'
import type { Db } from '../../src/db/database.js'
import { createTestDatabase } from '../helpers/database.js'

async function seed (db: Db) {
  const [acme, globex] = await db.insertInto('organizations').values([{ name: 'acme' }, { name: 'globex' }]).returning('id').execute()
  const org = acme!.id
  const user = async (organization: string, userName: string, userType?: string) => (await db.insertInto('users')
    .values({ organization_id: organization, user_name: userName, attributes: '{}', ...(userType ? { user_type: userType } : {}) })
    .returning('id').executeTakeFirstOrThrow()).id
  const customer = await user(org, 'ann')
  const admin = await user(org, 'bob', 'administrator')
  const foreign = await user(globex!.id, 'carl')
  const group = (await db.insertInto('groups').values({ organization_id: org, display_name: 'Staff', attributes: '{}' }).returning('id').executeTakeFirstOrThrow()).id
  const otherGroup = (await db.insertInto('groups').values({ organization_id: globex!.id, display_name: 'Staff', attributes: '{}' }).returning('id').executeTakeFirstOrThrow()).id
  return { org, customer, admin, foreign, group, otherGroup }
}

async function violatedConstraint (promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return (error as { constraint?: string }).constraint
  }
}

const member = (org: string, group: string, user: string) => ({ organization_id: org, group_id: group, user_id: user })

t.test('membership constraints', async t => {
  const { db } = await createTestDatabase(t)
  const s = await seed(db)

  t.test('a customer of the same organization can be a member', async t => {
    await db.insertInto('group_members').values(member(s.org, s.group, s.customer)).execute()
    t.equal((await db.selectFrom('group_members').selectAll().execute()).length, 1)
  })

  t.test('user_type defaults to customer', async t => {
    const row = await db.selectFrom('users').select('user_type').where('id', '=', s.customer).executeTakeFirstOrThrow()
    t.equal(row.user_type, 'customer')
  })

  t.test('a non-customer cannot be a member', async t => {
    t.equal(await violatedConstraint(db.insertInto('group_members').values(member(s.org, s.group, s.admin)).execute()), 'group_members__user_id__fkey')
  })

  t.test('a membership cannot claim another user_type', async t => {
    t.equal(await violatedConstraint(db.insertInto('group_members').values({ ...member(s.org, s.group, s.admin), user_type: 'administrator' }).execute()), 'group_members__user_type__check')
  })

  t.test('a user of another organization cannot be a member', async t => {
    t.equal(await violatedConstraint(db.insertInto('group_members').values(member(s.org, s.group, s.foreign)).execute()), 'group_members__user_id__fkey')
  })

  t.test('a group id cannot be a member', async t => {
    t.equal(await violatedConstraint(db.insertInto('group_members').values(member(s.org, s.group, s.otherGroup)).execute()), 'group_members__user_id__fkey')
  })

  t.test('a member cannot stop being a customer', async t => {
    t.equal(await violatedConstraint(db.updateTable('users').set({ user_type: 'administrator' }).where('id', '=', s.customer).execute()), 'group_members__user_id__fkey')
    const row = await db.selectFrom('users').select('user_type').where('id', '=', s.customer).executeTakeFirstOrThrow()
    t.equal(row.user_type, 'customer')
  })

  t.test('a non-member can change type freely', async t => {
    await db.updateTable('users').set({ user_type: 'collaborator' }).where('id', '=', s.admin).execute()
    t.pass()
  })

  t.test('deleting a user or a group removes its memberships only', async t => {
    await db.deleteFrom('groups').where('id', '=', s.group).execute()
    t.equal((await db.selectFrom('group_members').selectAll().execute()).length, 0)
    t.ok(await db.selectFrom('users').select('id').where('id', '=', s.customer).executeTakeFirst(), 'the user stays')
  })
})
