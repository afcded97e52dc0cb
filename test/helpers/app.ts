/**
 * build(t): the application on its own test database, with one organization and token,
 * closed when the test ends.
 */
import type { FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { loadConfig, type Config } from '../../src/config.js'
import type { Db } from '../../src/db/database.js'
import { buildApp } from '../../src/http/app.js'
import { createServices, type Services } from '../../src/services/services.js'
import { TokenService } from '../../src/services/token.service.js'
import { FULL_ACCESS } from '../../src/services/token-scopes.js'
import { createTestDatabase } from './database.js'

interface Teardown { teardown (fn: () => unknown): void }

export interface TestApp {
  readonly app: FastifyInstance
  readonly db: Db
  readonly services: Services
  readonly config: Config
  /** A token of organization `acme`. */
  readonly token: string
  readonly auth: { authorization: string }
  /** Log lines written so far (JSON-parsed). */
  readonly logs: Array<Record<string, unknown>>
  /** Creates another organization and returns a header for one of its tokens. */
  tokenFor (organization: string): Promise<{ authorization: string }>
}

export interface BuildOptions {
  /** The tokens' clock in ms (expiry tests move it); Date.now by default. */
  readonly clock?: () => number
  /** The built console to serve (test/helpers/console-browser.ts builds one). */
  readonly consoleRoot?: string
}

export async function build (t: Teardown, env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestApp> {
  const handle = await createTestDatabase(t)
  // The fair-share limits are off unless a test sets them (test/resilience/fair-share.test.ts
  // does): other tests fire many requests of one organization on purpose.
  const config = loadConfig({ LOG_LEVEL: 'info', ORG_MAX_CONCURRENT_REQUESTS: '0', RATE_LIMIT_PER_MINUTE: '0', ...env })
  const defaults = createServices(handle.db, config)
  const services: Services = options.clock === undefined ? defaults : { ...defaults, tokens: new TokenService(handle.db, options.clock, { cacheTtlMs: config.tokenCacheTtlMs }) }
  const logs: Array<Record<string, unknown>> = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line))
      callback()
    }
  })
  const app = await buildApp(config, {
    db: handle.db, services, logStream, listen: handle.listen,
    ...(handle.stats !== undefined ? { poolStats: handle.stats } : {}),
    ...(options.consoleRoot !== undefined ? { consoleRoot: options.consoleRoot } : {})
  })
  t.teardown(() => app.close())
  const tokenFor = async (organization: string) => {
    // Every scope, as tokens had before scopes existed: tests of other features are not about scopes.
    const created = await services.tokens.create(organization, { scopes: FULL_ACCESS })
    return { authorization: `Bearer ${created.token}` }
  }
  const auth = await tokenFor('acme')
  return { app, db: handle.db, services, config, token: auth.authorization.slice(7), auth, logs, tokenFor }
}
