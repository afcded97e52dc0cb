import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { runAdmin } from '../../src/cli/admin-commands.js'
import { DataDirInUseError, lockDataDir } from '../../src/db/data-dir-lock.js'
import { TokenService } from '../../src/services/token.service.js'
import { createTestDatabase } from '../helpers/database.js'

function capture () {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (l: string) => { out.push(l) }, err: (l: string) => { err.push(l) } } }
}

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

  t.test('usage errors exit 2', async t => {
    t.equal(await runAdmin(db, [], capture().io), 2)
    t.equal(await runAdmin(db, ['token', 'create'], capture().io), 2)
    t.equal(await runAdmin(db, ['org', 'create'], capture().io), 2)
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
