/**
 * Expiry and rotation as a client sees them, on whichever database the suite runs on (real
 * Postgres with DATABASE_URL, embedded otherwise; CI runs both). The tokens' clock is moved
 * by the test, so boundaries are exact instants, not sleeps.
 */
import t from 'tap'
import { runAdmin } from '../../src/cli/admin-commands.js'
import { TokenRotationError } from '../../src/services/token.service.js'
import { build } from '../helpers/app.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T0 = Date.parse('2030-01-01T00:00:00.000Z')

function capture () {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (l: string) => { out.push(l) }, err: (l: string) => { err.push(l) } } }
}

async function setup (t: { teardown (fn: () => unknown): void }) {
  let now = T0
  const built = await build(t, {}, { clock: () => now })
  const get = (token: string, url = '/scim/v2/Users?count=1') => built.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  const createUser = (token: string, userName: string) => built.app.inject({
    method: 'POST',
    url: '/scim/v2/Users',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    payload: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }
  })
  return { ...built, get, createUser, setNow: (ms: number) => { now = ms } }
}

t.test('expiry: valid strictly before the instant, 401 invalid_token from it on', async t => {
  const { services, get, setNow } = await setup(t)
  const expiresAt = new Date(T0 + 30 * DAY)
  const { token } = await services.tokens.create('acme', { scopes: ['scim:read'], expiresAt })

  setNow(expiresAt.getTime() - 1)
  t.equal((await get(token)).statusCode, 200, 'one millisecond before')

  setNow(expiresAt.getTime())
  const at = await get(token)
  t.equal(at.statusCode, 401, 'at the instant')
  t.equal(at.headers['www-authenticate'], 'Bearer realm="scim", error="invalid_token", error_description="The token expired"')
  t.same(at.json(), {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
    status: '401',
    detail: 'The bearer token expired at 2030-01-31T00:00:00.000Z; ask an administrator for a new one.'
  }, 'the detail tells this token expired, and nothing else')

  setNow(expiresAt.getTime() + DAY)
  t.equal((await get(token)).statusCode, 401, 'and after')
})

t.test('an unknown or revoked token is not told apart, and never said to be expired', async t => {
  const { services, get, setNow } = await setup(t)
  const { token, id } = await services.tokens.create('acme', { expiresAt: new Date(T0 + HOUR) })
  await services.tokens.revoke(id)
  setNow(T0 + 2 * HOUR)
  const revoked = await get(token)
  const unknown = await get('scim_no-such-token')
  t.equal(revoked.statusCode, 401)
  t.same(revoked.json(), unknown.json(), 'a revoked (and expired) token answers like an unknown one')
  t.same(revoked.headers['www-authenticate'], unknown.headers['www-authenticate'])
  t.equal(unknown.headers['www-authenticate'], 'Bearer realm="scim", error="invalid_token", error_description="The token is not valid"')
})

t.test('rotation: the old token works until the grace period ends, the new one keeps scopes and label', async t => {
  const { services, get, createUser, setNow } = await setup(t)
  const old = await services.tokens.create('acme', { scopes: ['scim:read'], label: 'HR app', expiresAt: new Date(T0 + 30 * DAY) })

  setNow(T0 + DAY)
  const rotated = await services.tokens.rotate(old.id, { graceMs: DAY })
  t.same(rotated.scopes, ['scim:read'])
  t.same(rotated.previous, { id: old.id, worksUntil: new Date(T0 + 2 * DAY) })
  t.same(rotated.expiresAt, new Date(T0 + 31 * DAY), 'the new token gets the old lifetime (30d), counted from the rotation')
  const listed = await services.tokens.list('acme')
  t.match(listed.find(r => r.id === rotated.id), { label: 'HR app', scopes: ['scim:read'], rotatedFrom: old.id, organizationName: 'acme' })

  setNow(T0 + 2 * DAY - 1)
  t.equal((await get(old.token)).statusCode, 200, 'old token, last millisecond of grace')
  t.equal((await get(rotated.token)).statusCode, 200, 'new token')
  t.equal((await createUser(old.token, 'a@example.com')).statusCode, 403, 'grace keeps the scopes: the old token still cannot write')
  t.equal((await createUser(rotated.token, 'a@example.com')).statusCode, 403, 'the new token has the same scopes')

  setNow(T0 + 2 * DAY)
  const after = await get(old.token)
  t.equal(after.statusCode, 401, 'old token, once grace ends')
  t.match(after.json().detail, /expired/)
  t.equal((await get(rotated.token)).statusCode, 200, 'new token still works')

  await t.rejects(services.tokens.rotate(old.id, { graceMs: DAY }), TokenRotationError, 'an expired token is not rotated')
})

t.test('rotation edge cases', async t => {
  const { services, get, setNow } = await setup(t)

  t.test('grace 0 retires the old token at once', async t => {
    setNow(T0)
    const old = await services.tokens.create('acme')
    const rotated = await services.tokens.rotate(old.id, { graceMs: 0 })
    t.equal((await get(old.token)).statusCode, 401)
    t.equal((await get(rotated.token)).statusCode, 200)
    t.equal(rotated.expiresAt, null, 'a token that never expired is replaced by one that never expires')
  })

  t.test('the grace period never extends the old token beyond its own expiry', async t => {
    setNow(T0)
    const old = await services.tokens.create('acme', { expiresAt: new Date(T0 + HOUR) })
    const rotated = await services.tokens.rotate(old.id, { graceMs: DAY, expiresAt: new Date(T0 + 90 * DAY) })
    t.same(rotated.previous.worksUntil, new Date(T0 + HOUR))
    t.same(rotated.expiresAt, new Date(T0 + 90 * DAY), 'an explicit expiry for the new token')
  })

  t.test('a token is rotated once; two rotations at the same moment: one wins', async t => {
    setNow(T0)
    const old = await services.tokens.create('acme')
    const results = await Promise.allSettled([services.tokens.rotate(old.id, { graceMs: HOUR }), services.tokens.rotate(old.id, { graceMs: HOUR })])
    t.equal(results.filter(r => r.status === 'fulfilled').length, 1)
    const failed = results.find(r => r.status === 'rejected') as PromiseRejectedResult
    t.type(failed.reason, TokenRotationError)
    t.match(failed.reason.message, /rotated already/)
    await t.rejects(services.tokens.rotate(old.id, { graceMs: HOUR }), /rotated already \(to [0-9a-f-]{36}\)/)
  })

  t.test('revoked, unknown and configured tokens are not rotated', async t => {
    setNow(T0)
    const revoked = await services.tokens.create('acme')
    await services.tokens.revoke(revoked.id)
    await t.rejects(services.tokens.rotate(revoked.id, { graceMs: HOUR }), /revoked/)
    await t.rejects(services.tokens.rotate('00000000-0000-4000-8000-000000000000', { graceMs: HOUR }), /No token/)
    await t.rejects(services.tokens.rotate('not-an-id', { graceMs: HOUR }), /No token/)
    await services.tokens.bootstrap('configured-token-value')
    const configured = (await services.tokens.list('default')).find(r => r.label === 'SCIM_BEARER_TOKEN')
    await t.rejects(services.tokens.rotate(configured!.id, { graceMs: HOUR }), /SCIM_BEARER_TOKEN/)
  })

  t.test('revoking the old token during grace stops it at once', async t => {
    setNow(T0)
    const old = await services.tokens.create('acme')
    const rotated = await services.tokens.rotate(old.id, { graceMs: DAY })
    await services.tokens.revoke(old.id)
    t.equal((await get(old.token)).statusCode, 401)
    t.equal((await get(rotated.token)).statusCode, 200)
  })
})

t.test('the admin command rotates with a grace period and lists what happened', async t => {
  const { db, get, setNow } = await setup(t)
  const clock = () => T0
  setNow(T0)
  const created = capture()
  t.equal(await runAdmin(db, ['token', 'create', '--org', 'acme', '--scope', 'scim:read', '--label', 'HR app', '--expires-in', '30d'], created.io, { clock }), 0)
  const oldToken = created.out[0] as string
  const list = capture()
  await runAdmin(db, ['token', 'list', '--org', 'acme'], list.io, { clock })
  const oldLine = list.out.find(line => line.includes('"HR app"')) as string
  const oldId = oldLine.split('\t')[0] as string

  const rotated = capture()
  t.equal(await runAdmin(db, ['token', 'rotate', oldId, '--grace', '2h'], rotated.io, { clock }), 0)
  t.equal(rotated.out.length, 1, 'only the new token on stdout')
  const newToken = rotated.out[0] as string
  t.match(rotated.err.join('\n'), `which keeps working until ${new Date(T0 + 2 * HOUR).toISOString()}`)

  setNow(T0 + 2 * HOUR - 1)
  t.equal((await get(oldToken)).statusCode, 200)
  setNow(T0 + 2 * HOUR)
  t.equal((await get(oldToken)).statusCode, 401)
  t.equal((await get(newToken)).statusCode, 200)

  const after = capture()
  await runAdmin(db, ['token', 'list', '--org', 'acme'], after.io, { clock: () => T0 + 3 * HOUR })
  const lines = after.out.filter(line => line.includes('"HR app"'))
  t.equal(lines.length, 2)
  t.match(lines.find(line => line.startsWith(oldId)), `\texpired ${new Date(T0 + 2 * HOUR).toISOString()}\tscopes scim:read\t`)
  t.match(lines.find(line => !line.startsWith(oldId)), new RegExp(`\\tactive\\tscopes scim:read\\tlabel "HR app"\\t.*\\texpires ${new Date(T0 + 30 * DAY).toISOString()}\\t.*\\treplaces ${oldId}$`))

  const again = capture()
  t.equal(await runAdmin(db, ['token', 'rotate', oldId], again.io, { clock }), 1)
  t.match(again.err[0], /rotated already|expired/)
})
