/**
 * The admin console: a browser application (sources in console/, built by Vite into
 * dist/console) that is a client of the public SCIM API like any other. This module only
 * serves its files, in a scope of its own so that its headers stay off the API:
 *
 * - `/` redirects to `/console/`;
 * - `/console` and every `/console/…` page answer the application's index.html, never cached
 *   (`no-cache`: revalidated each time, so a deployment is picked up at once);
 * - `/console/assets/…` are content-hashed files: cached for a year as immutable;
 * - every answer carries a strict Content-Security-Policy (scripts, styles and requests to
 *   this origin only, no inline script, no framing) and the usual security headers.
 *
 * Everything here is public: the files hold no data, and the API checks the token.
 */
import fs from 'node:fs'
import path from 'node:path'
import helmet from '@fastify/helmet'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { PROJECT_ROOT } from '../../project-root.js'
import { declarePublicRoutes } from '../plugins/auth.js'

export const CONSOLE_PATH = '/console'
/** Where `npm run build` (vite build) writes the console. */
export const CONSOLE_BUILD_DIR = path.join(PROJECT_ROOT, 'dist', 'console')

const ASSETS = 'assets'
const YEAR_SECONDS = 365 * 24 * 60 * 60

export interface ConsoleOptions {
  /** The built console: index.html and assets/. */
  readonly root: string
}

export const CONSOLE_CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"]
} as const

export async function registerConsole (scope: FastifyInstance, options: ConsoleOptions): Promise<void> {
  declarePublicRoutes(scope)
  await scope.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { ...CONSOLE_CSP_DIRECTIVES } },
    // The console opens no cross-origin windows and loads nothing cross-origin.
    crossOriginEmbedderPolicy: true,
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false
  })

  // Files for a browser, not API operations: left out of the OpenAPI document.
  const route = { schema: { hide: true } }
  scope.get('/', route, async (_request, reply) => await reply.redirect(`${CONSOLE_PATH}/`, 302))

  await scope.register(fastifyStatic, {
    root: path.join(options.root, ASSETS),
    prefix: `${CONSOLE_PATH}/${ASSETS}/`,
    index: false,
    // Asset names carry a hash of their content: a changed file is a new name.
    immutable: true,
    maxAge: YEAR_SECONDS * 1000,
    decorateReply: false,
    schemaHide: true
  })

  const indexFile = path.join(options.root, 'index.html')
  const sendIndex = async (_request: unknown, reply: FastifyReply): Promise<unknown> => {
    let html: Buffer
    try {
      html = await fs.promises.readFile(indexFile)
    } catch {
      return await reply.code(503).header('Cache-Control', 'no-store').type('text/plain; charset=utf-8')
        .send('The console has not been built: run `npm run build` (npm start does it).\n')
    }
    return await reply.header('Cache-Control', 'no-cache').type('text/html; charset=utf-8').send(html)
  }
  scope.get(CONSOLE_PATH, route, sendIndex)
  // The console's own pages (/console/groups/…): the application routes them in the browser.
  scope.get(`${CONSOLE_PATH}/*`, route, sendIndex)
}
