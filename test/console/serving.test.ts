/**
 * How the service serves the console's files (any database: no browser here): the redirect
 * from `/`, index.html for every console page, never cached, content-hashed assets cached
 * for a year, the security headers, and a clear answer when the console was not built.
 */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { build } from '../helpers/app.js'

const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-AbC123.js"></script></head><body><div id="app"></div></body></html>'
const CSP = "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;font-src 'self';connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'"

async function consoleFiles (t: { teardown (fn: () => unknown): void }): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scim-console-files-'))
  t.teardown(() => fs.rm(root, { recursive: true, force: true }))
  await fs.mkdir(path.join(root, 'assets'))
  await fs.writeFile(path.join(root, 'index.html'), INDEX)
  await fs.writeFile(path.join(root, 'assets', 'index-AbC123.js'), 'console.log("console")\n')
  await fs.writeFile(path.join(root, 'assets', 'index-DeF456.css'), 'body{margin:0}\n')
  return root
}

t.test('/ redirects to the console', async t => {
  const { app } = await build(t, {}, { consoleRoot: await consoleFiles(t) })
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/console/')
})

t.test('every console page is index.html, revalidated each time, with a strict CSP', async t => {
  const { app } = await build(t, {}, { consoleRoot: await consoleFiles(t) })
  for (const url of ['/console', '/console/', '/console/groups', '/console/groups/6f1c1a2e-0000-4000-8000-000000000000/users', '/console/users']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, url)
    t.equal(res.body, INDEX, `${url}: the application's page`)
    t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
    t.equal(res.headers['cache-control'], 'no-cache', `${url}: revalidated, so a deployment shows at once`)
    t.equal(res.headers['content-security-policy'], CSP, `${url}: self only, no inline script`)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.equal(res.headers['x-frame-options'], 'DENY')
    t.equal(res.headers['referrer-policy'], 'no-referrer')
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin')
  }
  const head = await app.inject({ method: 'HEAD', url: '/console/groups' })
  t.equal(head.statusCode, 200, 'HEAD too')
})

t.test('hashed assets are cached for a year as immutable; unknown ones are 404', async t => {
  const { app } = await build(t, {}, { consoleRoot: await consoleFiles(t) })
  const js = await app.inject({ url: '/console/assets/index-AbC123.js' })
  t.equal(js.statusCode, 200)
  t.match(js.headers['content-type'], /javascript/)
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable')
  t.equal(js.headers['content-security-policy'], CSP)
  const css = await app.inject({ url: '/console/assets/index-DeF456.css' })
  t.match(css.headers['content-type'], /^text\/css/)
  const missing = await app.inject({ url: '/console/assets/index-Old999.js' })
  t.equal(missing.statusCode, 404, 'a stale asset name is not answered with the page')
  const escape = await app.inject({ url: '/console/assets/..%2f..%2fpackage.json' })
  t.equal(escape.statusCode, 404, 'nothing outside the assets directory')
})

t.test('the console headers stay off the API', async t => {
  const { app, auth } = await build(t, {}, { consoleRoot: await consoleFiles(t) })
  const res = await app.inject({ url: '/scim/v2/Users', headers: auth })
  t.equal(res.statusCode, 200)
  t.notOk(res.headers['content-security-policy'], 'no CSP on SCIM answers')
  t.notOk(res.headers['x-frame-options'])
})

t.test('a console that was not built is a clear 503, not a blank page', async t => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'scim-console-none-'))
  t.teardown(() => fs.rm(root, { recursive: true, force: true }))
  const { app } = await build(t, {}, { consoleRoot: root })
  const res = await app.inject({ url: '/console/groups' })
  t.equal(res.statusCode, 503)
  t.match(res.body, /The console has not been built: run `npm run build`/)
  t.equal(res.headers['cache-control'], 'no-store')
})
