#!/usr/bin/env node
/**
 * Runs the external conformance collection (../shared/conformance) with newman against a
 * running server and compares the failed assertions with known-deviations.json.
 *
 *   node test/conformance/run-collection.mjs --base http://127.0.0.1:8080 --token TOKEN
 *
 * Exit 0 when the failures are exactly the known deviations. Prints one line
 * `conformance: N passed, N failed`: passed counts assertions that passed, failed counts
 * unexpected failures and deviations that no longer fail; known deviations are reported
 * on the line before.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import newman from 'newman'

const here = path.dirname(fileURLToPath(import.meta.url))
const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []))
const collectionPath = args.collection ?? path.resolve(here, '../../../shared/conformance/entra-reference.postman_collection.json')
if (!args.base || !args.token) {
  console.error('usage: run-collection.mjs --base http://HOST:PORT --token TOKEN [--collection FILE]')
  process.exit(2)
}
if (!fs.existsSync(collectionPath)) {
  console.error(`conformance collection not found at ${collectionPath}`)
  process.exit(2)
}

const base = new URL(args.base)
const { deviations } = JSON.parse(fs.readFileSync(path.join(here, 'known-deviations.json'), 'utf8'))
const key = (request, assertion) => `${request} :: ${assertion}`
const expected = new Set(deviations.map(d => key(d.request, d.assertion)))

function requestName (item) {
  const names = [item.name]
  for (let parent = item.parent(); parent && parent.parent && parent.parent(); parent = parent.parent()) names.unshift(parent.name)
  return names.join(' / ')
}

const results = []
newman.run({
  collection: JSON.parse(fs.readFileSync(collectionPath, 'utf8')),
  envVar: [
    { key: 'Protocol', value: base.protocol.replace(':', '') },
    { key: 'Server', value: base.hostname },
    { key: 'Port', value: base.port ? `:${base.port}` : '' },
    { key: 'Api', value: 'scim/v2' },
    { key: 'token', value: args.token }
  ],
  reporters: [],
  timeoutRequest: 30_000
}).on('assertion', (error, info) => {
  results.push({ name: key(requestName(info.item), info.assertion), error })
}).on('done', (error) => {
  if (error) {
    console.error('newman failed to run:', error)
    process.exit(1)
  }
  let passed = 0
  const unexpected = []
  const failedKnown = new Set()
  for (const result of results) {
    if (!result.error) { passed++; continue }
    if (expected.has(result.name)) { failedKnown.add(result.name); continue }
    unexpected.push(`${result.name}: ${result.error.message}`)
  }
  const stale = [...expected].filter(name => !failedKnown.has(name))
  for (const line of unexpected) console.log(`UNEXPECTED FAILURE  ${line}`)
  for (const line of stale) console.log(`DEVIATION NO LONGER FAILS (update known-deviations.json)  ${line}`)
  console.log(`conformance: ${results.length} assertions, ${failedKnown.size} failed as known deviations (not counted below)`)
  console.log(`conformance: ${passed} passed, ${unexpected.length + stale.length} failed`)
  process.exit(unexpected.length + stale.length === 0 ? 0 : 1)
})
