/**
 * The console's build: TypeScript and Preact bundled into content-hashed files under
 * dist/console (served at /console by src/http/console/), nothing fetched at run time.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = path.dirname(fileURLToPath(import.meta.url))

export default defineConfig({
  root: here,
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: path.resolve(here, '../dist/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline scripts (the CSP forbids them) and no small assets inlined as data: URLs.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false
  },
  logLevel: 'warn'
})
