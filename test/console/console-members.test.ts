/**
 * Group > Users in headless Chromium against the real server on Postgres: Assign User (one
 * PATCH add), removing in edit mode (one PATCH remove with exactly the cleared ids), the
 * customer-only rule refusing a user made administrator meanwhile, a 412 between two
 * administrators, and paging a large group that is never read whole.
 */
import { sql } from 'kysely'
import t from 'tap'
import { browserSkip, startConsole, type ApiCall, type ConsoleHarness } from '../helpers/console-browser.js'
import type { Page } from 'playwright-core'

const options = { skip: browserSkip }

async function openMembers (page: Page, group: string): Promise<void> {
  await page.getByLabel('Search groups by name').fill(group)
  await page.getByRole('table', { name: 'Groups' }).getByRole('link', { name: group, exact: true }).click()
  await page.getByRole('heading', { name: group, level: 1 }).waitFor()
  await page.getByRole('navigation', { name: 'Group sections' }).getByRole('link', { name: 'Users' }).click()
  await page.getByRole('heading', { name: /^Users/, level: 2 }).waitFor()
  await page.getByRole('navigation', { name: 'Members pages' }).waitFor()
}

async function membersOf (h: ConsoleHarness, groupId: string): Promise<string[]> {
  const rows = await h.query<{ user_id: string }>(sql`select user_id from group_members where group_id = ${groupId} order by user_id`)
  return rows.map(row => row.user_id)
}

const patches = (calls: readonly ApiCall[]) => calls.filter(call => call.method === 'PATCH')

t.test('Assign User: customers not yet in the group, several selected, one PATCH add', options, async t => {
  const h = await startConsole(t)
  const ann = await h.createUser('ann@example.com', { displayName: 'Ann Smith' })
  const bob = await h.createUser('bob@example.com', { displayName: 'Bob Jones' })
  const cat = await h.createUser('cat@example.com', { displayName: 'Cat Brown' })
  await h.createUser('boss@example.com', { displayName: 'Bea Boss', userType: 'administrator' })
  const group = await h.createGroup('Ops', [ann])
  const { page, calls } = await h.newSession()
  await h.signIn(page)
  await openMembers(page, 'Ops')
  await page.getByRole('table', { name: 'Members' }).getByText('Ann Smith').waitFor()

  await page.getByRole('button', { name: 'Assign User' }).click()
  const dialog = page.getByRole('dialog', { name: 'Assign users to Ops' })
  await dialog.getByRole('navigation', { name: 'Customer users pages' }).getByText('1–2 of 2').waitFor()
  t.same((await dialog.getByRole('table', { name: 'Customer users' }).getByRole('checkbox').all()).length, 2, 'Ann, already a member, is not offered')
  await dialog.getByLabel('Search users by name or email').fill('b')
  await dialog.getByRole('checkbox', { name: 'Bea Boss (not selectable)' }).waitFor()
  t.ok(await dialog.getByRole('checkbox', { name: 'Bea Boss (not selectable)' }).isDisabled(), 'the administrator is shown, not selectable')
  await dialog.getByText('Only customer users can be group members; this user is an administrator.').waitFor()
  await dialog.getByLabel('Bob Jones').check()
  await dialog.getByLabel('Cat Brown').check()
  await dialog.getByText('2 users selected').waitFor()
  await h.screenshot(page, 'assign-users')
  const before = patches(calls).length
  await dialog.getByRole('button', { name: 'Save' }).click()
  await page.getByText('2 users were added to the group.').waitFor()
  await page.getByRole('table', { name: 'Members' }).getByText('Cat Brown').waitFor()

  const sent = patches(calls).slice(before)
  t.equal(sent.length, 1, 'one PATCH')
  t.equal(sent[0]!.headers['if-match'], 'W/"1"', 'sent with the version read')
  t.match(sent[0]!.body, { Operations: [{ op: 'add', path: 'members' }] })
  const operations = (sent[0]!.body as { Operations: Array<{ value: Array<{ value: string }> }> }).Operations
  t.equal(operations.length, 1, 'one operation')
  t.same(operations[0]!.value.map(v => v.value).sort(), [bob, cat].sort(), 'exactly the selected users')
  t.same(await membersOf(h, group), [ann, bob, cat].sort(), 'the database holds the three members')
  const search = calls.filter(call => call.url.pathname === '/scim/v2/Users' && (call.url.searchParams.get('filter') ?? '').includes('not (groups.value eq'))
  t.ok(search.length > 0, 'customers not in the group are found with not (groups.value eq …)')
  t.same(h.pageErrors, [])
})

t.test('Remove: edit mode, clear boxes, Save sends one PATCH remove with exactly those ids', options, async t => {
  const h = await startConsole(t)
  const ann = await h.createUser('ann@example.com', { displayName: 'Ann Smith' })
  const bob = await h.createUser('bob@example.com', { displayName: 'Bob Jones' })
  const cat = await h.createUser('cat@example.com', { displayName: 'Cat Brown' })
  const group = await h.createGroup('Ops', [ann, bob, cat])
  const { page, calls } = await h.newSession()
  await h.signIn(page)
  await openMembers(page, 'Ops')
  await page.getByText('1–3 of 3').waitFor()

  await page.getByRole('button', { name: 'Edit members' }).click()
  const keepAnn = page.getByRole('checkbox', { name: 'Keep Ann Smith in the group' })
  t.ok(await keepAnn.isChecked(), 'every member starts checked')
  t.ok(await page.getByRole('button', { name: 'Save' }).isDisabled(), 'nothing to save before a box is cleared')
  await keepAnn.uncheck()
  await page.getByRole('checkbox', { name: 'Keep Cat Brown in the group' }).uncheck()
  await page.getByRole('checkbox', { name: 'Keep Bob Jones in the group' }).uncheck()
  await page.getByRole('checkbox', { name: 'Keep Bob Jones in the group' }).check()
  await page.getByText('2 to remove.').waitFor()
  await h.screenshot(page, 'remove-users')
  const before = patches(calls).length
  await page.getByRole('button', { name: 'Save' }).click()
  await page.getByText('2 users were removed from the group.').waitFor()
  await page.getByText('1–1 of 1').waitFor()

  const sent = patches(calls).slice(before)
  t.equal(sent.length, 1, 'one PATCH')
  const ops = (sent[0]!.body as { Operations: Array<{ op: string, path: string }> }).Operations
  t.equal(ops.length, 1)
  t.equal(ops[0]!.op, 'remove')
  const ids = [...ops[0]!.path.matchAll(/value eq "([^"]+)"/g)].map(m => m[1])
  t.same(ids.sort(), [ann, cat].sort(), 'exactly the cleared ids')
  t.same(await membersOf(h, group), [bob], 'the database keeps only Bob')
  t.equal(await page.getByRole('checkbox').count(), 0, 'edit mode ends after Save')
  t.same(h.pageErrors, [])
})

t.test('the customer-only rule: a user made administrator meanwhile is refused in words', options, async t => {
  const h = await startConsole(t)
  const dan = await h.createUser('dan@example.com', { displayName: 'Dan Ray' })
  const eve = await h.createUser('eve@example.com', { displayName: 'Eve Long' })
  const group = await h.createGroup('Ops')
  const { page } = await h.newSession()
  await h.signIn(page)
  await openMembers(page, 'Ops')
  await page.getByText('This group has no users yet.').waitFor()
  await page.getByRole('button', { name: 'Assign User' }).click()
  const dialog = page.getByRole('dialog', { name: 'Assign users to Ops' })
  await dialog.getByLabel('Dan Ray').check()
  await dialog.getByLabel('Eve Long').check()
  // Meanwhile the identity provider makes Dan an administrator.
  await h.patch(`/Users/${dan}`, [{ op: 'replace', path: 'userType', value: 'administrator' }])
  await dialog.getByRole('button', { name: 'Save' }).click()
  const alert = dialog.getByRole('alert')
  await alert.getByText('Dan Ray is not a customer user (any more)').waitFor()
  t.match(await alert.textContent(), /Only customer users can be group members\. Nothing was saved/)
  await h.screenshot(page, 'customer-only-error')
  t.same(await membersOf(h, group), [], 'nothing was added, not even Eve')

  await dialog.getByLabel('Dan Ray').uncheck()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await page.getByText('1 user was added to the group.').waitFor()
  t.same(await membersOf(h, group), [eve])
  t.same(h.pageErrors, [])
})

t.test('412: another administrator changed the group; reload, then save', options, async t => {
  const h = await startConsole(t)
  const ann = await h.createUser('ann@example.com', { displayName: 'Ann Smith' })
  const bob = await h.createUser('bob@example.com', { displayName: 'Bob Jones' })
  const group = await h.createGroup('Ops')
  const first = await h.newSession()
  const second = await h.newSession()
  await h.signIn(first.page)
  await h.signIn(second.page)
  await openMembers(first.page, 'Ops')
  await openMembers(second.page, 'Ops')

  await first.page.getByRole('button', { name: 'Assign User' }).click()
  await first.page.getByRole('dialog').getByLabel('Ann Smith').check()
  await first.page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
  await first.page.getByText('1 user was added to the group.').waitFor()

  await second.page.getByRole('button', { name: 'Assign User' }).click()
  const dialog = second.page.getByRole('dialog')
  await dialog.getByLabel('Bob Jones').check()
  await dialog.getByRole('button', { name: 'Save' }).click()
  await dialog.getByRole('alert').getByText('Someone else changed this group since you opened it, so nothing was saved.').waitFor()
  await h.screenshot(second.page, 'conflict')
  t.equal(patches(second.calls).at(-1)!.headers['if-match'], 'W/"1"', 'the second administrator sent the version it read')
  t.same(await membersOf(h, group), [ann], 'the second change was not applied')

  await dialog.getByRole('button', { name: 'Reload the group' }).click()
  await second.page.getByRole('table', { name: 'Members' }).getByText('Ann Smith').waitFor()
  await second.page.getByRole('button', { name: 'Assign User' }).click()
  await second.page.getByRole('dialog').getByLabel('Bob Jones').check()
  await second.page.getByRole('dialog').getByRole('button', { name: 'Save' }).click()
  await second.page.getByText('1 user was added to the group.').waitFor()
  t.equal(patches(second.calls).at(-1)!.headers['if-match'], 'W/"2"', 'after the reload, the current version')
  t.same(await membersOf(h, group), [ann, bob].sort())

  // A rename from a stale page is refused the same way.
  await first.page.getByRole('navigation', { name: 'Group sections' }).getByRole('link', { name: 'General' }).click()
  await first.page.getByLabel('Group name').fill('Operations')
  await first.page.getByRole('button', { name: 'Save name' }).click()
  await first.page.getByRole('alert').getByText('Someone else changed this group').waitFor()
  t.same(await h.query(sql`select display_name from groups where id = ${group}`), [{ display_name: 'Ops' }])
  t.same(h.pageErrors, [])
})

t.test('a large group is paged from the server, never read whole', options, async t => {
  const h = await startConsole(t)
  const size = 20_000
  const [org] = await h.query<{ id: string }>(sql`select id from organizations where name = 'acme'`)
  const group = await h.createGroup('Everyone')
  await h.createGroup('Nobody')
  // Users in the layout user.mapper.ts writes, and their memberships, in two statements.
  await sql`
    insert into users (organization_id, user_name, display_name, user_type, active, attributes, created_at)
    select ${org!.id}::uuid, u.user_name, u.display_name, 'customer', true,
      jsonb_build_object('schemas', jsonb_build_array('urn:ietf:params:scim:schemas:core:2.0:User'),
        'userName', u.user_name, 'displayName', u.display_name, 'userType', 'customer', 'active', true,
        'emails', jsonb_build_array(jsonb_build_object('value', u.user_name, 'primary', true))),
      now() - interval '1 hour' + u.i * interval '1 millisecond'
    from (select i, 'member' || lpad(i::text, 5, '0') || '@example.com' as user_name, 'Member ' || lpad(i::text, 5, '0') as display_name
          from generate_series(1, ${size}::int) as i) as u`.execute(h.db)
  await sql`insert into group_members (organization_id, group_id, user_id)
    select organization_id, ${group}::uuid, id from users where organization_id = ${org!.id}::uuid`.execute(h.db)
  await sql`analyze`.execute(h.db)

  const { page, calls } = await h.newSession()
  await h.signIn(page)
  await page.getByRole('table', { name: 'Groups' }).getByRole('row').filter({ hasText: 'Everyone' }).getByText('20,000').waitFor()
  t.pass('the groups list shows the member count')
  await openMembers(page, 'Everyone')
  await page.getByRole('heading', { name: 'Users (20,000)', level: 2 }).waitFor()
  await page.getByText('1–20 of 20,000').waitFor()
  const table = page.getByRole('table', { name: 'Members' })
  await table.getByText('Member 00001', { exact: true }).waitFor()
  t.equal(await table.getByRole('row').count(), 21, 'one page of 20')
  await h.screenshot(page, 'group-users')

  await page.getByRole('button', { name: 'Next page' }).click()
  await page.getByText('21–40 of 20,000').waitFor()
  await table.getByText('Member 00021', { exact: true }).waitFor()
  t.equal(await table.getByText('Member 00001', { exact: true }).count(), 0)
  await page.getByRole('button', { name: 'Next page' }).click()
  await page.getByText('41–60 of 20,000').waitFor()
  await table.getByText('Member 00041', { exact: true }).waitFor()
  await page.getByRole('button', { name: 'Previous page' }).click()
  await page.getByText('21–40 of 20,000').waitFor()
  await table.getByText('Member 00021', { exact: true }).waitFor()

  const memberReads = calls.filter(call => call.url.pathname === '/scim/v2/Users' && call.url.searchParams.get('filter') === `groups.value eq "${group}"`)
  const pages = memberReads.filter(call => call.url.searchParams.get('count') !== '0')
  t.ok(pages.length >= 4, 'members read a page at a time')
  t.ok(pages.every(call => call.url.searchParams.get('count') === '20' && call.url.searchParams.has('cursor')), 'every read is a cursor page of 20')
  t.notOk(pages.some(call => (call.url.searchParams.get('attributes') ?? '').includes('groups')), 'without the members\' own groups')
  const groupReads = calls.filter(call => call.url.pathname.startsWith('/scim/v2/Groups') && call.method === 'GET')
  t.ok(groupReads.every(call => call.url.searchParams.get('excludedAttributes') === 'members'), 'the group is never read with its members')

  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Groups' }).click()
  await openMembers(page, 'Nobody')
  await page.getByText('This group has no users yet.').waitFor()
  t.same(h.pageErrors, [])
})
