/**
 * Renders the OpenAPI document exactly as committed under openapi/: generated from the
 * route schemas of an app built on a throwaway in-memory database.
 */
import { loadConfig } from '../config.js'
import { createEmbeddedDatabase } from '../db/database.js'
import { buildApp } from './app.js'

export async function renderOpenApiDocument (): Promise<string> {
  const handle = await createEmbeddedDatabase(undefined)
  try {
    const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { db: handle.db })
    await app.ready()
    const text = JSON.stringify(app.swagger(), null, 2) + '\n'
    await app.close()
    return text
  } finally {
    await handle.close()
  }
}
