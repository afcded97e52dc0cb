/** `npm run admin -- receiver …`: register, list, enable and remove push receivers. */
import t from 'tap'
import { runAdmin } from '../../src/cli/admin-commands.js'
import { createTestDatabase } from '../helpers/database.js'
import { capture } from './capture.js'


t.test('receiver commands', async t => {
  const { db } = await createTestDatabase(t)
  const open = { config: { publicBaseUrl: 'https://id.example.test', eventReceiversAllowPrivate: true } }
  t.equal(await runAdmin(db, ['org', 'create', 'acme'], capture().io), 0)

  const added = capture()
  t.equal(await runAdmin(db, ['receiver', 'add', '--org', 'acme', '--url', 'http://127.0.0.1:9/hook', '--audience', 'urn:example:hook'], added.io, open), 0)
  t.match(added.out, [/^[0-9a-f-]{36}$/])
  t.match(added.err[0], /SETs from https:\/\/id\.example\.test\/api\/v1\/organizations\/[0-9a-f-]{36}, keys at .*\/jwks\.json/)
  const id = added.out[0] as string

  const list = capture()
  t.equal(await runAdmin(db, ['receiver', 'list', '--org', 'acme'], list.io, open), 0)
  t.match(list.out, [new RegExp(`^${id}\tacme\tactive\thttp://127.0.0.1:9/hook\taudience urn:example:hook\tpending 0\trejected 0\t`)])

  const strict = { config: { publicBaseUrl: 'https://id.example.test', eventReceiversAllowPrivate: false } }
  const refused = capture()
  t.equal(await runAdmin(db, ['receiver', 'add', '--org', 'acme', '--url', 'https://127.0.0.1/hook'], refused.io, strict), 1)
  t.match(refused.err[0], /not a public address/)
  const unconfigured = capture()
  t.equal(await runAdmin(db, ['receiver', 'add', '--org', 'acme', '--url', 'https://example.com/hook'], unconfigured.io, { config: { publicBaseUrl: undefined, eventReceiversAllowPrivate: false } }), 1)
  t.match(unconfigured.err[0], /PUBLIC_BASE_URL/)
  const noOrg = capture()
  t.equal(await runAdmin(db, ['receiver', 'add', '--org', 'nobody', '--url', 'http://127.0.0.1:9/x'], noOrg.io, open), 1)
  t.equal(await runAdmin(db, ['receiver', 'add', '--org', 'acme'], capture().io, open), 2, 'a missing --url is a usage error')

  t.equal(await runAdmin(db, ['receiver', 'enable', id], capture().io, open), 0)
  t.equal(await runAdmin(db, ['receiver', 'remove', id], capture().io, open), 0)
  const gone = capture()
  t.equal(await runAdmin(db, ['receiver', 'remove', id], gone.io, open), 1)
  t.match(gone.err[0], /not found/)
})
