/**
 * The admin console in a real browser: the console built from console/ by the same Vite
 * configuration `npm run build` uses, served by the application listening on a real port,
 * on real Postgres, driven in Debian's headless Chromium through playwright-core.
 *
 * The browser tests run on Postgres (DATABASE_URL) only: the console is a client of the
 * HTTP API, which the rest of the suite covers on embedded Postgres too, and a browser per
 * file and run would add minutes to CI for nothing new.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { RawBuilder } from 'kysely'
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core'
import { build, type TestApp } from './app.js'
import { usingEmbedded } from './database.js'

interface Teardown { teardown (fn: () => unknown): void }

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const PROJECT = path.resolve(import.meta.dirname, '../..')

/** Why this process runs no browser test, or false. */
export const browserSkip: string | false = usingEmbedded()
  ? 'browser tests of the console run on Postgres (set DATABASE_URL); the API it uses is tested on embedded Postgres too'
  : false

let built: Promise<string> | undefined

/** Builds the console once per test file into a temporary directory. */
export async function buildConsole (): Promise<string> {
  built ??= (async () => {
    const outDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'scim-console-'))
    const { build: viteBuild } = await import('vite')
    await viteBuild({ configFile: path.join(PROJECT, 'console/vite.config.ts'), build: { outDir, emptyOutDir: true }, logLevel: 'warn' })
    process.once('exit', () => { fs.rmSync(outDir, { recursive: true, force: true }) })
    return outDir
  })()
  return await built
}

export interface ApiCall {
  readonly method: string
  readonly url: URL
  readonly headers: Record<string, string>
  readonly body: unknown
}

export interface ConsoleHarness extends TestApp {
  readonly baseUrl: string
  readonly browser: Browser
  /** A fresh browser profile (its own sessionStorage): one administrator. */
  newSession (viewport?: { width: number, height: number }): Promise<{ context: BrowserContext, page: Page, calls: ApiCall[] }>
  /** Opens the console and signs in with the token (acme's by default). */
  signIn (page: Page, token?: string): Promise<void>
  screenshot (page: Page, name: string): Promise<void>
  /** Uncaught errors of every page so far (should stay empty). */
  readonly pageErrors: string[]
  /** A user created through the API (a customer unless `userType` says otherwise). */
  createUser (userName: string, options?: { displayName?: string, email?: string, userType?: string }): Promise<string>
  createGroup (displayName: string, memberIds?: readonly string[]): Promise<string>
  /** A PATCH through the API, as another administrator or an identity provider would send it. */
  patch (url: string, operations: readonly object[]): Promise<void>
  /** Runs SQL on the test database (fixtures, checks). */
  query<T> (text: RawBuilder<unknown>): Promise<T[]>
}

export async function startConsole (t: Teardown, env: Record<string, string> = {}): Promise<ConsoleHarness> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`)
  }
  const consoleRoot = await buildConsole()
  // The production fair-share limits, not the suite's "off": the console must live with them.
  const test = await build(t, { ORG_MAX_CONCURRENT_REQUESTS: '5', RATE_LIMIT_PER_MINUTE: '3000', ...env }, { consoleRoot })
  const baseUrl = await test.app.listen({ port: 0, host: '127.0.0.1' })
  // launch() starts Chromium on a fresh, empty profile directory of its own each time.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ]
  })
  t.teardown(async () => { await browser.close() })
  const pageErrors: string[] = []
  const screenshotDir = process.env.CONSOLE_SCREENSHOTS_DIR ?? await fs.promises.mkdtemp(path.join(os.tmpdir(), 'scim-screens-'))

  const scim = async (method: 'POST' | 'PATCH', url: string, payload: object): Promise<{ id: string }> => {
    const res = await test.app.inject({ method, url: `/scim/v2${url}`, headers: { ...test.auth, 'content-type': 'application/scim+json' }, payload })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.json()
  }

  return {
    ...test,
    baseUrl,
    browser,
    pageErrors,
    async createUser (userName, options = {}) {
      const { id } = await scim('POST', '/Users', {
        schemas: [USER_SCHEMA],
        userName,
        displayName: options.displayName ?? userName,
        emails: [{ value: options.email ?? userName, primary: true }],
        ...(options.userType !== undefined ? { userType: options.userType } : {})
      })
      return id
    },
    async createGroup (displayName, memberIds = []) {
      const { id } = await scim('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName, members: memberIds.map(value => ({ value })) })
      return id
    },
    async patch (url, operations) {
      await scim('PATCH', url, { schemas: [PATCH_SCHEMA], Operations: operations })
    },
    async newSession (viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport, baseURL: baseUrl, reducedMotion: 'reduce' })
      const page = await context.newPage()
      const calls: ApiCall[] = []
      page.on('request', (request: Request) => {
        const url = new URL(request.url())
        if (!url.pathname.startsWith('/scim/v2')) return
        const text = request.postData()
        calls.push({ method: request.method(), url, headers: request.headers(), body: text === null ? undefined : JSON.parse(text) })
      })
      // An uncaught error in the page is a defect of the console; tests check this list.
      page.on('pageerror', error => { pageErrors.push(error.message) })
      return { context, page, calls }
    },
    async signIn (page, token = test.token) {
      await page.goto('/')
      await page.getByLabel('API token').fill(token)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor()
    },
    async screenshot (page, name) {
      await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: false })
    },
    async query<T> (text: RawBuilder<unknown>) {
      return (await text.execute(test.db)).rows as T[]
    }
  }
}
