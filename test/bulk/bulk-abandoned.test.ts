/**
 * A /Bulk whose client hangs up stops at the next operation (the rest is not performed), and
 * the bulk request itself is logged, one line, also when abandoned.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { RawConnection, httpRequest } from '../helpers/server-process.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'

function bulkBody (count: number, prefix: string): string {
  return JSON.stringify({
    schemas: [BULK],
    Operations: Array.from({ length: count }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: [USER], userName: `${prefix}-${i}@example.com` } }))
  })
}

/** Waits (bounded) until `predicate` holds; false when it never did. */
async function eventually (predicate: () => boolean | Promise<boolean>, withinMs = 20_000): Promise<boolean> {
  for (const until = Date.now() + withinMs; Date.now() < until;) {
    if (await predicate()) return true
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return false
}

t.test('bulk requests are logged; an abandoned one stops', async t => {
  const { app, auth, logs } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const countUsers = async () => (await app.inject({ method: 'GET', url: '/scim/v2/Users?count=0', headers: auth })).json().totalResults as number
  const bulkLines = () => logs.filter(l => l.msg === 'request' && l.route === '/scim/v2/Bulk')

  const small = await app.inject({ method: 'POST', url: '/scim/v2/Bulk', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: bulkBody(3, 'small') })
  t.equal(small.statusCode, 200)
  t.equal(bulkLines().length, 1, 'a bulk request is one request line')
  t.match(bulkLines()[0], { status: 200, bulk: { operations: 3, performed: 3, failed: 0, notPerformed: 0 } }, 'saying what it did')

  const connection = await RawConnection.open(port)
  connection.write(httpRequest('POST', '/scim/v2/Bulk', { ...auth, 'content-type': 'application/scim+json' }, bulkBody(1000, 'gone')))
  t.ok(await eventually(async () => await countUsers() >= 5), 'the bulk is working')
  connection.close()
  t.ok(await eventually(() => bulkLines().length >= 2), 'the abandoned bulk ends and is logged')
  const line = bulkLines()[1] as { status: number, abandoned: boolean, bulk: { operations: number, performed: number, notPerformed: number, stoppedBy: string } }
  t.match(line, { status: 499, abandoned: true, bulk: { operations: 1000, stoppedBy: 'clientGone' } }, 'the abandoned bulk is logged, once')
  t.ok(line.bulk.performed < 1000 && line.bulk.notPerformed === 1000 - line.bulk.performed,
    `it stopped after ${line.bulk.performed} of 1000 operations`)
  const after = await countUsers()
  t.equal(after, 3 + line.bulk.performed, 'only the performed operations left users behind')
  await new Promise(resolve => setTimeout(resolve, 300))
  t.equal(await countUsers(), after, 'and nothing more happens later')
  t.equal(bulkLines().length, 2, 'no second line for it')
})
