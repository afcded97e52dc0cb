/** `npm run openapi`: writes the generated OpenAPI document to openapi/openapi.json. */
import fs from 'node:fs/promises'
import path from 'node:path'
import { PROJECT_ROOT } from '../project-root.js'
import { renderOpenApiDocument } from '../http/openapi-document.js'

const target = path.join(PROJECT_ROOT, 'openapi', 'openapi.json')
renderOpenApiDocument().then(async text => {
  await fs.mkdir(path.dirname(target), { recursive: true })
  await fs.writeFile(target, text)
  process.stdout.write(`Wrote ${path.relative(process.cwd(), target)}\n`)
}, (error: unknown) => {
  process.stderr.write(`openapi: ${String(error)}\n`)
  process.exitCode = 1
})
