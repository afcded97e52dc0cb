import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { runAdmin } from '../../src/cli/admin-commands.js'
import { DataDirInUseError, lockDataDir } from '../../src/db/data-dir-lock.js'
import { TokenService } from '../../src/services/token.service.js'
import { createTestDatabase } from '../helpers/database.js'
import { capture } from './capture.js'


t.test('admin commands', async t => {
  const { db } = await createTestDatabase(t)
  const tokens = new TokenService(db)

  t.test('token create prints only a working token, creating the organization', async t => {
    const c = capture()
    t.equal(await runAdmin(db, ['token', 'create', '--org', 'acme'], c.io), 0)
    t.equal(c.out.length, 1)
    t.match(c.out[0], /^scim_[A-Za-z0-9_-]{43}$/)
    t.match(await tokens.authenticate(c.out[0] as string), { name: 'acme' })
  })

  t.test('org create, then org list', async t => {
    const c = capture()
    t.equal(await runAdmin(db, ['org', 'create', 'Globex Corp'], c.io), 0)
    const dup = capture()
    t.equal(await runAdmin(db, ['org', 'create', 'Globex Corp'], dup.io), 1)
    t.match(dup.err[0], /exists/)
    const list = capture()
    t.equal(await runAdmin(db, ['org', 'list'], list.io), 0)
    t.same(list.out.map(l => l.split('\t')[1]), ['Globex Corp', 'acme'].sort())
  })

  t.test('token list never shows token values; revoke disables a token', async t => {
    const created = capture()
    await runAdmin(db, ['token', 'create', '--org', 'initech'], created.io)
    const token = created.out[0] as string
    const list = capture()
    t.equal(await runAdmin(db, ['token', 'list', '--org', 'initech'], list.io), 0)
    t.equal(list.out.length, 1)
    t.notOk(list.out.join('\n').includes(token))
    const id = (list.out[0] as string).split('\t')[0] as string
    t.equal(await runAdmin(db, ['token', 'revoke', id], capture().io), 0)
    t.equal(await tokens.authenticate(token), undefined)
    t.equal(await runAdmin(db, ['token', 'revoke', id], capture().io), 1, 'already revoked')
    t.equal(await runAdmin(db, ['token', 'revoke', 'not-a-uuid'], capture().io), 1)
    const after = capture()
    await runAdmin(db, ['token', 'list', '--org', 'initech'], after.io)
    t.match(after.out[0], /\trevoked /)
    t.equal(await runAdmin(db, ['token', 'list', '--org', 'nobody'], capture().io), 1)
  })

  t.test('token create with scopes, label and expiry; list shows them', async t => {
    // Created a second apart, so that the list (by creation) has a known order.
    const T0 = Date.parse('2030-01-01T00:00:00Z')
    const clock = () => T0
    const reader = capture()
    t.equal(await runAdmin(db, ['token', 'create', '--org', 'hooli', '--scope', 'scim:read', '--label', 'HR app', '--expires-in', '30d'], reader.io, { clock }), 0)
    t.match(reader.err[0], /scopes scim:read, expires 2030-01-31T00:00:00.000Z/)
    const feed = capture()
    t.equal(await runAdmin(db, ['token', 'create', '--org', 'hooli', '--scope', 'events:read,scim:read', '--expires-at', '2030-06-30'], feed.io, { clock: () => T0 + 1000 }), 0)
    const plain = capture()
    t.equal(await runAdmin(db, ['token', 'create', '--org', 'hooli'], plain.io, { clock: () => T0 + 2000 }), 0)
    t.match(plain.err[0], /scopes scim:read,scim:write, expires never/, 'default: what a provisioning client needs')

    const list = capture()
    await runAdmin(db, ['token', 'list', '--org', 'hooli'], list.io)
    t.equal(list.out.length, 3)
    const [hr, events, provisioning] = list.out.map(line => line.split('\t'))
    t.same(hr?.slice(1, 5), ['hooli', 'active', 'scopes scim:read', 'label "HR app"'])
    t.equal(events?.[5], 'created 2030-01-01T00:00:01.000Z')
    t.same(hr?.slice(5), ['created 2030-01-01T00:00:00.000Z', 'expires 2030-01-31T00:00:00.000Z', 'last used never'])
    t.same(events?.slice(3, 5), ['scopes scim:read,events:read', 'label -'])
    t.equal(events?.[6], 'expires 2030-06-30T00:00:00.000Z', 'a date alone is the start of that day, UTC')
    t.same(provisioning?.[3], 'scopes scim:read,scim:write')

    const used = await tokens.authenticate(reader.out[0] as string)
    t.same(used?.scopes, ['scim:read'])
    const later = capture()
    await runAdmin(db, ['token', 'list', '--org', 'hooli'], later.io, { clock: () => Date.parse('2030-02-01T00:00:00Z') })
    t.match(later.out[0], /\texpired 2030-01-31T00:00:00.000Z\t/)
  })

  t.test('bad durations, dates, scopes and options are usage errors that say what is wrong', async t => {
    const clock = () => Date.parse('2030-01-01T00:00:00Z')
    const cases: Array<[string[], RegExp]> = [
      [['--expires-in', '30'], /"30" is not a duration; give a whole number and a unit/],
      [['--expires-in', '30days'], /not a duration/],
      [['--expires-in', '1.5d'], /not a duration/],
      [['--expires-in', '-1d'], /needs a value|not a duration/],
      [['--expires-in', '0d'], /too short/],
      [['--expires-in', '3651d'], /too long \(at most 3650d\)/],
      [['--expires-at', '2030-02-30'], /not a calendar date/],
      [['--expires-at', '31/01/2030'], /not a date; give YYYY-MM-DD/],
      [['--expires-at', '2030-03-01T10:00'], /not a date/],
      [['--expires-at', '2030-03-01T25:00Z'], /not a valid time/],
      [['--expires-at', '2029-12-31'], /not in the future/],
      [['--expires-in', '1d', '--expires-at', '2030-03-01'], /not both/],
      [['--scope', 'scim:admin'], /Unknown scope "scim:admin"/],
      [['--scope', ','], /at least one scope/],
      [['--scopes', 'scim:read'], /Unknown option --scopes/],
      [['--label', 'a', '--label', 'b'], /only once/],
      [['--label', 'SCIM_BEARER_TOKEN'], /reserved/],
      [['--label'], /--label needs a value/],
      [['extra'], /Unexpected argument "extra"/]
    ]
    for (const [extra, message] of cases) {
      const c = capture()
      t.equal(await runAdmin(db, ['token', 'create', '--org', 'umbrella', ...extra], c.io, { clock }), 2, extra.join(' '))
      t.match(c.err[0], message, extra.join(' '))
    }
    t.same(await tokens.list('umbrella'), [], 'no token was created by a refused command')
    const grace = capture()
    t.equal(await runAdmin(db, ['token', 'rotate', '00000000-0000-4000-8000-000000000000', '--grace', '31d'], grace.io, { clock }), 2)
    t.match(grace.err[0], /--grace: "31d" is too long \(at most 30d\)/)
    const missing = capture()
    t.equal(await runAdmin(db, ['token', 'rotate', '00000000-0000-4000-8000-000000000000', '--grace', '0s'], missing.io, { clock }), 1)
    t.match(missing.err[0], /No token/)
  })

  t.test('usage errors exit 2', async t => {
    t.equal(await runAdmin(db, [], capture().io), 2)
    t.equal(await runAdmin(db, ['token', 'create'], capture().io), 2)
    t.equal(await runAdmin(db, ['org', 'create'], capture().io), 2)
    t.equal(await runAdmin(db, ['token', 'rotate'], capture().io), 2)
    t.equal(await runAdmin(db, ['token', 'revoke'], capture().io), 2)
  })
})

t.test('the embedded data directory is locked against a second process', async t => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scim-lock-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  // A live process (our parent) holds the lock: refuse with a message saying what to do.
  fs.writeFileSync(path.join(dir, 'scim-service.lock'), String(process.ppid))
  t.throws(() => lockDataDir(dir), DataDirInUseError)
  t.throws(() => lockDataDir(dir), /in use by process/)
  // A lock left by a process that no longer exists is taken over, and released.
  fs.writeFileSync(path.join(dir, 'scim-service.lock'), '999999999')
  const release = lockDataDir(dir)
  t.equal(fs.readFileSync(path.join(dir, 'scim-service.lock'), 'utf8'), String(process.pid))
  release()
  t.notOk(fs.existsSync(path.join(dir, 'scim-service.lock')))
})
