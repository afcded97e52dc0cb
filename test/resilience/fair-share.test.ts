/**
 * One organization cannot starve the others: its requests beyond ORG_MAX_CONCURRENT_REQUESTS
 * are refused at once with 429 instead of taking every pooled connection, and past
 * RATE_LIMIT_PER_MINUTE it gets 429 while other organizations are served.
 */
import { sql } from 'kysely'
import t from 'tap'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error'
const JSON_TYPE = { 'content-type': 'application/scim+json' }

/** Resolves with the promise's value, or 'no answer' after `ms`. */
function within<T> (promise: Promise<T>, ms: number): Promise<T | 'no answer'> {
  return Promise.race([promise, new Promise<'no answer'>(resolve => setTimeout(() => resolve('no answer'), ms))])
}

t.test('one organization saturating does not starve another', { skip: usingEmbedded() && 'embedded Postgres serves one query at a time: there is no pool to exhaust' }, async t => {
  // The test pool has 10 connections; acme may hold 3 of them at once.
  const { app, db, auth, tokenFor } = await build(t, { ORG_MAX_CONCURRENT_REQUESTS: '3' })
  const globex = await tokenFor('globex')
  const group = (await app.inject({ method: 'POST', url: '/scim/v2/Groups', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [GROUP], displayName: 'Busy' } })).json()
  const user = (await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...globex, ...JSON_TYPE }, payload: { schemas: [USER], userName: 'g@example.com' } })).json()

  // acme's PATCHes of one group wait on its row lock, each holding a pooled connection,
  // like slow unindexed filters would.
  let unlock!: () => void
  const locked = new Promise<void>(resolve => { unlock = resolve })
  let lockTaken!: () => void
  const lockHeld = new Promise<void>(resolve => { lockTaken = resolve })
  const holder = db.transaction().execute(async trx => {
    await sql`select 1 from groups where id = ${group.id} for update`.execute(trx)
    lockTaken()
    await locked
  })
  await lockHeld

  const patches = Array.from({ length: 12 }, (_, i) => app.inject({
    method: 'PATCH',
    url: `/scim/v2/Groups/${group.id}`,
    headers: { ...auth, ...JSON_TYPE },
    payload: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: `Busy ${i}` }] }
  }))
  // The refused ones answer at once; the admitted ones wait for the lock.
  const refused = await Promise.all(patches.map(p => within(p, 3000)))
  const early = refused.filter(<T>(r: T | 'no answer'): r is T => r !== 'no answer')
  t.equal(early.length, 9, 'nine of twelve answered at once')
  for (const response of early) {
    t.equal(response.statusCode, 429)
    t.match(response.json(), { schemas: [ERROR], status: '429', detail: /ORG_MAX_CONCURRENT_REQUESTS/ })
    t.equal(response.headers['retry-after'], '1')
  }

  const started = Date.now()
  const lookup = await within(app.inject({ method: 'GET', url: `/scim/v2/Users/${user.id}`, headers: globex }), 5000)
  const elapsed = Date.now() - started
  t.not(lookup, 'no answer', `another organization's GET /Users/{id} is answered while acme is saturated (${elapsed} ms)`)
  if (lookup !== 'no answer') t.equal(lookup.statusCode, 200)

  unlock()
  await holder
  const finished = await Promise.all(patches)
  t.equal(finished.filter(r => r.statusCode === 204).length, 3, 'the three admitted PATCHes complete once the lock is gone')
  const after = await app.inject({ method: 'GET', url: `/scim/v2/Groups/${group.id}`, headers: auth })
  t.equal(after.statusCode, 200, 'slots are given back: acme is served again')
})

t.test('requests per minute per organization', async t => {
  const { app, auth, tokenFor } = await build(t, { RATE_LIMIT_PER_MINUTE: '5' })
  const globex = await tokenFor('globex')
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })).statusCode)
  t.same(statuses, [200, 200, 200, 200, 200], 'five in a minute are served')
  const sixth = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })
  t.equal(sixth.statusCode, 429, 'the sixth is refused')
  t.match(sixth.json(), { schemas: [ERROR], status: '429', detail: /RATE_LIMIT_PER_MINUTE/ })
  t.ok(Number(sixth.headers['retry-after']) >= 1 && Number(sixth.headers['retry-after']) <= 60, `Retry-After: ${sixth.headers['retry-after']}`)
  t.equal((await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: globex })).statusCode, 200, 'another organization is still served')
})

t.test('a bulk counts once, whatever its operations', async t => {
  const { app, auth } = await build(t, { RATE_LIMIT_PER_MINUTE: '2', ORG_MAX_CONCURRENT_REQUESTS: '1' })
  const bulk = await app.inject({
    method: 'POST',
    url: '/scim/v2/Bulk',
    headers: { ...auth, ...JSON_TYPE },
    payload: { schemas: [BULK], Operations: Array.from({ length: 10 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: [USER], userName: `b${i}@example.com` } })) }
  })
  t.equal(bulk.statusCode, 200)
  t.same(bulk.json().Operations.map((o: { status: string }) => o.status), Array(10).fill('201'), 'all ten operations ran')
})

t.test('limits can be switched off', async t => {
  const { app, auth } = await build(t, { RATE_LIMIT_PER_MINUTE: '0', ORG_MAX_CONCURRENT_REQUESTS: '0' })
  const responses = await Promise.all(Array.from({ length: 30 }, () => app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })))
  t.same(responses.map(r => r.statusCode), Array(30).fill(200), '30 at once, all served')
})
