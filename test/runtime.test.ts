/**
 * The Node.js that the production image ships is the one CI tests on: the Dockerfile's image
 * major, the pinned LTS version (.node-lts) and package.json `engines` must agree, and the
 * Node.js running this suite (the machine's, or the LTS in CI's second run) must be one that
 * `engines` names.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { PROJECT_ROOT } from '../src/project-root.js'

const read = (file: string) => fs.readFile(path.join(PROJECT_ROOT, file), 'utf8')

/** `^20.19.0 || ^24.11.0` → [[20, 19, 0], [24, 11, 0]]; anything else is refused. */
function caretRanges (engines: string): Array<[number, number, number]> {
  return engines.split('||').map(part => {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part)
    if (match === null) throw new Error(`engines.node part "${part}" is not a ^major.minor.patch range`)
    return [Number(match[1]), Number(match[2]), Number(match[3])]
  })
}

function satisfies (version: string, ranges: Array<[number, number, number]>): boolean {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number) as [number, number, number]
  return ranges.some(([M, m, p]) => major === M && (minor > m || (minor === m && patch >= p)))
}

t.test('the image, the pinned LTS and engines name the same Node.js line', async t => {
  const lts = (await read('.node-lts')).trim()
  t.match(lts, /^\d+\.\d+\.\d+$/, '.node-lts holds an exact version')
  const ltsMajor = Number(lts.split('.')[0])
  const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(await read('Dockerfile'))
  t.ok(image, 'the Dockerfile names its Node image in ARG NODE_IMAGE')
  t.equal(Number(image?.[1]), ltsMajor, 'the image runs the LTS that CI tests')
  const { engines } = JSON.parse(await read('package.json')) as { engines: { node: string } }
  const ranges = caretRanges(engines.node)
  t.ok(satisfies(lts, ranges), `engines.node (${engines.node}) admits the pinned LTS ${lts}`)
})

t.test('this suite runs on a Node.js that engines names', async t => {
  const { engines } = JSON.parse(await read('package.json')) as { engines: { node: string } }
  t.ok(satisfies(process.version, caretRanges(engines.node)), `${process.version} is within ${engines.node}`)
})

t.test('the range parser refuses what it cannot read and compares minor and patch', async t => {
  t.throws(() => caretRanges('>=20'))
  t.notOk(satisfies('v24.10.9', caretRanges('^24.11.0')))
  t.ok(satisfies('v24.12.0', caretRanges('^24.11.0')))
  t.notOk(satisfies('v22.20.0', caretRanges('^20.19.0 || ^24.11.0')))
})
