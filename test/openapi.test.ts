import fs from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { renderOpenApiDocument } from '../src/http/openapi-document.js'
import { PROJECT_ROOT } from '../src/project-root.js'

t.test('the committed OpenAPI document matches the routes (run `npm run openapi` after changing them)', async t => {
  const committed = await fs.readFile(path.join(PROJECT_ROOT, 'openapi', 'openapi.json'), 'utf8')
  const generated = await renderOpenApiDocument()
  t.equal(committed, generated)
  const doc = JSON.parse(generated)
  t.equal(doc.openapi, '3.1.0')
  t.ok(doc.paths['/scim/v2/ServiceProviderConfig'], 'SCIM routes are documented')
  t.ok(doc.paths['/health/ready'])
})

t.test('the running service serves the document and browsable docs', async t => {
  const { build } = await import('./helpers/app.js')
  const { app } = await build(t)
  const json = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(json.statusCode, 200)
  t.match(json.json(), { openapi: '3.1.0', info: { title: String } })
  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})
