/**
 * Values JSON allows but Postgres cannot store or index are the client's bad values: 400
 * invalidValue, never a 500 (Entra retries 5xx and quarantines the job).
 */
import t from 'tap'
import { encodeCursor } from '../../src/scim/cursor.js'
import { build } from '../helpers/app.js'

t.test('unstorable values are 400 invalidValue', async t => {
  const { app, auth } = await build(t)
  const send = (method: 'POST' | 'PATCH', url: string, body: unknown) =>
    app.inject({ method, url, headers: { ...auth, 'content-type': 'application/scim+json' }, payload: JSON.stringify(body) })

  for (const [url, body] of [
    ['/scim/v2/Users', { userName: 'a\u0000b' }],
    ['/scim/v2/Users', { userName: 'ok@example.com', name: { givenName: 'x\u0000' } }],
    ['/scim/v2/Groups', { displayName: 'g\u0000' }],
    ['/scim/v2/Users', { userName: 'é'.repeat(1500) }],
    ['/scim/v2/Groups', { displayName: 'Long group '.repeat(300) }]
  ] as const) {
    const res = await send('POST', url, body)
    t.equal(res.statusCode, 400, `${url} ${JSON.stringify(body).slice(0, 40)}`)
    t.equal(res.json().scimType, 'invalidValue')
  }

  const user = await send('POST', '/scim/v2/Users', { userName: 'patched@example.com' })
  const id = user.json().id
  const patch = await send('PATCH', `/scim/v2/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'x\u0000' }] })
  t.equal(patch.statusCode, 400)
  t.equal(patch.json().scimType, 'invalidValue')

  const longButFine = await send('POST', '/scim/v2/Groups', { displayName: 'A long group name with spaces '.repeat(30) })
  t.equal(longButFine.statusCode, 201, 'names of ~900 characters are fine')
})

t.test('a cursor naming an impossible instant is invalidCursor, not a 500', async t => {
  const { app, auth, db } = await build(t)
  const { id: organizationId } = await db.selectFrom('organizations').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()
  const query = { resourceType: 'User', organizationId, filter: undefined, sortBy: undefined, sortOrder: 'ascending' }
  const now = Math.floor(Date.now() / 1000)
  const good = encodeCursor({ kind: 'after', key: { createdAt: '2026-02-28T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' } }, query, now)
  t.equal((await app.inject({ method: 'GET', url: `/scim/v2/Users?cursor=${good}`, headers: auth })).statusCode, 200, 'a well-formed cursor is accepted')
  const impossible = encodeCursor({ kind: 'after', key: { createdAt: '2026-02-31T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' } }, query, now)
  const res = await app.inject({ method: 'GET', url: `/scim/v2/Users?cursor=${impossible}`, headers: auth })
  t.equal(res.statusCode, 400)
  t.equal(res.json().scimType, 'invalidCursor')
})
