/**
 * Input that must be refused with a clear 4xx, before it reaches code that would fail on it:
 * deep nesting, lone surrogates, bytes that are not UTF-8, charsets other than UTF-8, hosts
 * that cannot be part of a URL, oversized bodies (connection closed).
 */
import net from 'node:net'
import t from 'tap'
import { build } from '../helpers/app.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'

t.test('deeply nested JSON is 400 invalidSyntax, never 500', async t => {
  const { app, auth } = await build(t)
  const send = (method: 'POST' | 'PATCH', url: string, payload: string) =>
    app.inject({ method, url, headers: { ...auth, 'content-type': 'application/scim+json' }, payload })

  // 10 KB: 5,000 arrays inside `name`, as seen reaching the validator's error description.
  const deepName = `{"schemas":["${USER}"],"userName":"deep@example.com","name":${'['.repeat(5000)}${']'.repeat(5000)}}`
  const res = await send('POST', '/scim/v2/Users', deepName)
  t.equal(res.statusCode, 400)
  t.match(res.json(), { scimType: 'invalidSyntax', detail: /nests deeper than 32 levels/ })

  const deepData = `{"schemas":["${BULK}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":${'{"x":'.repeat(20000)}1${'}'.repeat(20000)}}]}`
  const bulk = await send('POST', '/scim/v2/Bulk', deepData)
  t.equal(bulk.statusCode, 400, 'a Bulk whose data nests 20,000 deep')
  t.equal(bulk.json().scimType, 'invalidSyntax')

  const deepPatch = JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'emails', value: JSON.parse('['.repeat(40) + ']'.repeat(40)) }] })
  const user = await send('POST', '/scim/v2/Users', JSON.stringify({ schemas: [USER], userName: 'shallow@example.com' }))
  t.equal((await send('PATCH', `/scim/v2/Users/${user.json().id}`, deepPatch)).statusCode, 400)

  // Brackets inside strings are text, not nesting.
  const bracketsInText = await send('POST', '/scim/v2/Users', JSON.stringify({ schemas: [USER], userName: 'brackets@example.com', nickName: '['.repeat(100) }))
  t.equal(bracketsInText.statusCode, 201)

  // An ordinary wrong type nested a little is still a clear invalidValue, described briefly.
  const wrong = await send('POST', '/scim/v2/Users', JSON.stringify({ schemas: [USER], userName: 'wrong@example.com', name: [[['x']]] }))
  t.equal(wrong.statusCode, 400)
  t.match(wrong.json(), { scimType: 'invalidValue', detail: /"name" must be an object; got an array of 1/ })
})

t.test('lone surrogates are 400 invalidValue naming the attribute, never 500 or U+FFFD', async t => {
  const { app, auth, db } = await build(t)
  const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, payload: string) =>
    app.inject({ method, url, headers: { ...auth, 'content-type': 'application/scim+json' }, payload })

  // JSON text with the escape, as a client sends it (JSON.stringify would keep it escaped too).
  const created = await send('POST', '/scim/v2/Users', `{"schemas":["${USER}"],"userName":"s\\ud800@x.y"}`)
  t.equal(created.statusCode, 400)
  t.match(created.json(), { scimType: 'invalidValue', detail: /"userName" contains a lone UTF-16 surrogate/ })

  const group = await send('POST', '/scim/v2/Groups', `{"schemas":["${GROUP}"],"displayName":"Team \\udfff"}`)
  t.equal(group.statusCode, 400, 'group displayName')
  t.match(group.json(), { scimType: 'invalidValue', detail: /"displayName"/ })
  t.equal((await db.selectFrom('groups').select('id').execute()).length, 0, 'nothing was stored (no U+FFFD)')

  const user = await send('POST', '/scim/v2/Users', JSON.stringify({ schemas: [USER], userName: 'fine@example.com' }))
  const id = user.json().id as string
  const patch = await send('PATCH', `/scim/v2/Users/${id}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"nickName","value":"\\udfff"}]}`)
  t.equal(patch.statusCode, 400)
  t.match(patch.json(), { scimType: 'invalidValue', detail: /Operations\[0\]\.value/ })

  const badPath = await send('PATCH', `/scim/v2/Users/${id}`, `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"emails[value eq \\"\\ud800\\"].type","value":"work"}]}`)
  t.equal(badPath.statusCode, 400, 'a PATCH path')

  const put = await send('PUT', `/scim/v2/Users/${id}`, `{"schemas":["${USER}"],"userName":"fine@example.com","name":{"givenName":"\\ud83d"}}`)
  t.equal(put.statusCode, 400)
  t.match(put.json(), { detail: /name\.givenName/ })

  const key = await send('POST', '/scim/v2/Users', `{"schemas":["${USER}"],"userName":"k@example.com","\\ud800":"x"}`)
  t.equal(key.statusCode, 400, 'an attribute name')

  const search = await send('POST', '/scim/v2/Users/.search', `{"schemas":["${SEARCH}"],"filter":"userName eq \\"\\ud800\\""}`)
  t.equal(search.statusCode, 400, 'a .search filter')
  t.match(search.json(), { detail: /"filter"/ })

  const bulk = await send('POST', '/scim/v2/Bulk', `{"schemas":["${BULK}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"\\ud800","data":{"userName":"b@example.com"}}]}`)
  t.equal(bulk.statusCode, 400, 'a bulkId')
  t.match(bulk.json(), { detail: /Operations\[0\]\.bulkId/ })

  const pair = await send('POST', '/scim/v2/Users', `{"schemas":["${USER}"],"userName":"emoji\\ud83d\\ude00@x.y"}`)
  t.equal(pair.statusCode, 201, 'a proper surrogate pair is text')
  t.equal(pair.json().userName, 'emoji😀@x.y')

  const fetched = await app.inject({ method: 'GET', url: `/scim/v2/Users/${id}`, headers: auth })
  t.notOk('nickName' in fetched.json(), 'the refused PATCH changed nothing')
})

t.test('bodies that are not UTF-8 are refused, never decoded into something else', async t => {
  const { app, auth } = await build(t)
  const body = JSON.stringify({ schemas: [USER], userName: 'charset@example.com' })
  for (const charset of ['utf-16', 'latin1', 'ISO-8859-1', '"windows-1252"']) {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': `application/scim+json; charset=${charset}` }, payload: body })
    t.equal(res.statusCode, 415, charset)
    t.match(res.json(), { status: '415', detail: /UTF-8/ })
  }
  for (const [i, charset] of ['utf-8', 'UTF-8', '"utf-8"', 'utf8'].entries()) {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': `application/json; charset=${charset}` }, payload: JSON.stringify({ schemas: [USER], userName: `ok-${i}@example.com` }) })
    t.equal(res.statusCode, 201, charset)
  }
  const latin1 = Buffer.concat([Buffer.from(`{"schemas":["${USER}"],"userName":"Jos`), Buffer.from([0xe9]), Buffer.from('@example.com"}')])
  const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, 'content-type': 'application/scim+json' }, payload: latin1 })
  t.equal(res.statusCode, 400, 'Latin-1 bytes sent as UTF-8')
  t.match(res.json(), { scimType: 'invalidSyntax', detail: /not valid UTF-8/ })
})

t.test('without PUBLIC_BASE_URL, a missing or malformed Host never becomes a URL', async t => {
  const { app, auth } = await build(t)
  for (const host of ['evil.example/x?', 'a b', 'user@host', '"quoted"', 'host:port']) {
    const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, host, 'content-type': 'application/scim+json' }, payload: JSON.stringify({ schemas: [USER], userName: `h${host.length}@example.com` }) })
    t.equal(res.statusCode, 400, `Host: ${JSON.stringify(host)}`)
    t.match(res.json(), { detail: /Host header/ })
  }
  for (const host of ['id.example.com', 'id.example.com:8443', '127.0.0.1:8080', '[::1]:8080', 'localhost']) {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/Users?count=0', headers: { ...auth, host } })
    t.equal(res.statusCode, 200, `Host: ${host}`)
  }
  const users = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })
  t.equal(users.json().totalResults, 0, 'nothing was created by the refused requests')

  // HTTP/1.0 without Host, on a real socket (inject always sets one).
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as net.AddressInfo
  const raw = await rawRequest(port, `GET /scim/v2/ServiceProviderConfig HTTP/1.0\r\nAuthorization: ${auth.authorization}\r\n\r\n`)
  t.match(raw.text, /^HTTP\/1\.[01] 400/)
  t.notMatch(raw.text, /http:\/\/\//, 'no URL with an empty host')
  const live = await rawRequest(port, 'GET /health/live HTTP/1.0\r\n\r\n')
  t.match(live.text, /^HTTP\/1\.[01] 200/, 'health checks need no Host')
})

t.test('with PUBLIC_BASE_URL, the Host header does not matter', async t => {
  const { app, auth } = await build(t, { PUBLIC_BASE_URL: 'https://id.example.com' })
  const res = await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, host: 'evil.example/x?', 'content-type': 'application/scim+json' }, payload: JSON.stringify({ schemas: [USER], userName: 'p@example.com' }) })
  t.equal(res.statusCode, 201)
  t.match(res.headers.location, /^https:\/\/id\.example\.com\/scim\/v2\/Users\//)
})

t.test('an oversized body is 413 and the connection is closed', async t => {
  const { app, auth } = await build(t, { BODY_LIMIT_BYTES: '2048', BULK_MAX_PAYLOAD_BYTES: '4096' })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as net.AddressInfo
  for (const url of ['/scim/v2/Bulk', '/scim/v2/Users']) {
    // Declares 10 MB, sends only the headers and a little: the server must answer and hang up.
    const raw = await rawRequest(port, `POST ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth.authorization}\r\nContent-Type: application/scim+json\r\nContent-Length: 10485760\r\n\r\n{"schemas":`)
    t.match(raw.text, /^HTTP\/1\.1 413/, url)
    t.match(raw.text, /\r\nconnection: close\r\n/i, `${url}: Connection: close`)
    t.ok(raw.closedByServer, `${url}: the server closed the socket`)
  }
  const ok = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 300)
  t.match(ok.text, /^HTTP\/1\.1 200/)
  t.notOk(ok.closedByServer, 'ordinary keep-alive requests keep their connection')
})

/** Sends raw bytes; resolves when the server closes the socket, or `idleMs` after the last data. */
function rawRequest (port: number, text: string, idleMs = 3000): Promise<{ text: string, closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    let received = ''
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(timer)
      timer = setTimeout(() => { socket.destroy(); resolve({ text: received, closedByServer: false }) }, idleMs)
    }
    socket.on('connect', () => { socket.write(text); arm() })
    socket.on('data', chunk => { received += String(chunk); arm() })
    socket.on('end', () => { clearTimeout(timer); socket.destroy(); resolve({ text: received, closedByServer: true }) })
    socket.on('error', reject)
  })
}

t.test('paths the router refuses still get SCIM error bodies', async t => {
  const { app, auth } = await build(t)
  for (const [url, status] of [['/scim/v2/Users/%ED%A0%80', 400], ['/scim/v2/Users/%zz', 400], [`/scim/v2/Users/${'x'.repeat(300)}`, 414]] as const) {
    const res = await app.inject({ method: 'GET', url, headers: auth })
    t.equal(res.statusCode, status, url.slice(0, 40))
    t.match(res.json(), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status) })
    t.match(res.headers['content-type'], /^application\/scim\+json/)
  }
})
