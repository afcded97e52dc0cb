/**
 * The differential test of root-level filters (RFC 7644 §3.4.2.1): for every filter over the
 * filter fixture's users and groups, the (type, id) pairs the root SQL returns, and its true
 * total, equal what the in-memory evaluator accepts.
 *
 * The oracle does not use root-query.ts's folding: it walks the parsed filter itself, and a
 * leaf naming an attribute the resource's type lacks is judged by the evaluator on a resource
 * WITHOUT that attribute (an empty object of a type that has it), which is the RFC's "as if
 * there is no attribute value" read literally.
 */
import fc from 'fast-check'
import t from 'tap'
import { countRootResources, listRootPage, type RootBranch } from '../../src/repositories/root.repository.js'
import { ScimError } from '../../src/scim/errors.js'
import type { ScimFilter } from '../../src/scim/filter/ast.js'
import { evaluateFilter } from '../../src/scim/filter/evaluate.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { resolveFilter, resolveTopPath } from '../../src/scim/filter/resolve.js'
import type { ScimResourceObject } from '../../src/scim/resource.js'
import { prepareRootListQuery } from '../../src/scim/root-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import type { ScimResourceSchema } from '../../src/scim/schema/registry.js'
import { createTestDatabase } from '../helpers/database.js'
import { BASE_URL, FIXTURE, loadFilterFixture } from './filter-sql.fixture.js'
import type { LoadedFixture } from './filter-sql.fixture.js'
import { filterArbitrary } from './filter-sql.generator.js'

const ROOT = [USER_RESOURCE, GROUP_RESOURCE] as const
const LIMITS = { defaultCount: 1000, maxCount: 1000 }
const uid = (i: number): string => FIXTURE.users[i]!.id
const gid = (i: number): string => FIXTURE.groups[i]!.id

const FILTERS = [
  // One type's attributes only.
  'userName eq "bob"', 'userName ne "bob"', 'userName pr', 'not (userName pr)', 'userName eq null', 'userName ne null',
  'emails[type eq "work"]', 'not (emails[type eq "work"])', 'emails co "@"', 'active eq true', 'active ne true',
  'members pr', 'not (members pr)', `members.value eq "${uid(0)}"`, `members[value eq "${uid(5)}"]`, `members.value ne "${uid(0)}"`,
  `groups.value eq "${gid(0)}"`, 'groups pr', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "u"', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "a"',
  // Attributes both types have.
  'displayName pr', 'displayName eq "admins"', 'displayName co "e"', 'externalId pr', 'externalId eq "G-1"', 'not (externalId pr)',
  'meta.resourceType eq "Group"', 'meta.resourceType eq "user"', 'meta.resourceType ne "User"', 'meta.created gt "2021-01-01T00:00:00Z"',
  `id eq "${uid(3)}"`, `id eq "${gid(2)}"`, 'meta.version eq "W/\\"1\\""', `meta.location ew "${gid(3)}"`,
  // Mixed: the constants of one type meet real conditions of the other.
  'userName sw "a" or members pr', 'userName sw "a" and members pr', 'not (userName sw "a" or members pr)',
  'displayName pr and (userName pr or members pr)', `(members.value eq "${uid(0)}" or groups.value eq "${gid(0)}") and displayName co "a"`,
  'not (not (userName pr) and not (members pr))', 'userName ne "bob" and not (members pr)', 'title eq null or members eq null'
]

type Db = Awaited<ReturnType<typeof createTestDatabase>>['db']

/** RFC 7644 §3.4.2.1 read literally, on the evaluator (see the file comment). */
function accepts (resource: ScimResourceSchema, filter: ScimFilter, object: ScimResourceObject): boolean {
  switch (filter.kind) {
    case 'and': return accepts(resource, filter.left, object) && accepts(resource, filter.right, object)
    case 'or': return accepts(resource, filter.left, object) || accepts(resource, filter.right, object)
    case 'not': return !accepts(resource, filter.filter, object)
    default: {
      if (hasPath(resource, filter)) return evaluateFilter(resource, resolveFilter(resource, filter), object)
      const owner = ROOT.find(other => hasPath(other, filter)) as ScimResourceSchema
      return evaluateFilter(owner, resolveFilter(owner, filter), {})
    }
  }
}

function hasPath (resource: ScimResourceSchema, filter: ScimFilter & { path: unknown }): boolean {
  try {
    resolveTopPath(resource, (filter as { path: Parameters<typeof resolveTopPath>[1] }).path)
    return true
  } catch (error) {
    if (error instanceof ScimError) return false
    throw error
  }
}

/** `Type:id` of what Postgres returns (with its total) and of what the oracle accepts, sorted. */
async function bothSides (db: Db, fixture: LoadedFixture, text: string): Promise<{ actual: string[], total: number, expected: string[] }> {
  const parsed = parseFilter(text)
  const expected = [
    ...[...fixture.users].filter(([, object]) => accepts(USER_RESOURCE, parsed, object)).map(([id]) => `User:${id}`),
    ...[...fixture.groups].filter(([, object]) => accepts(GROUP_RESOURCE, parsed, object)).map(([id]) => `Group:${id}`)
  ].sort()
  const query = prepareRootListQuery(ROOT, { filter: text }, LIMITS)
  const branches: RootBranch[] = query.types.map(type => ({ type: type.resource === USER_RESOURCE ? 'User' : 'Group', filter: type.filter }))
  const keys = await listRootPage(db, fixture.organizationId, { branches, baseUrl: BASE_URL, sort: undefined, descending: false, offset: 0, limit: 1000 })
  const total = await countRootResources(db, fixture.organizationId, branches, BASE_URL)
  return { actual: keys.map(key => `${key.type}:${key.id}`).sort(), total, expected }
}

t.test('root SQL returns exactly what the evaluator accepts, over both types', async t => {
  const { db } = await createTestDatabase(t)
  const fixture = await loadFilterFixture(db)
  let checked = 0
  let bothTypes = 0

  for (const text of FILTERS) {
    const { actual, total, expected } = await bothSides(db, fixture, text)
    t.same(actual, expected, `${text} (${expected.length} match)`)
    t.equal(total, expected.length, `${text}: totalResults`)
    if (expected.some(k => k.startsWith('User:')) && expected.some(k => k.startsWith('Group:'))) bothTypes++
    checked++
  }
  t.ok(bothTypes >= 10, `${bothTypes} hand-written filters select users and groups together`)

  // Generated: filters over either type's attributes, combined across types.
  const users = filterArbitrary(USER_RESOURCE, [...fixture.users.values()])
  const groups = filterArbitrary(GROUP_RESOURCE, [...fixture.groups.values()])
  const either = fc.oneof(users, groups)
  const mixed = fc.oneof(
    either,
    fc.tuple(users, groups).map(([a, b]) => `(${a}) or (${b})`),
    fc.tuple(users, groups).map(([a, b]) => `(${a}) and not (${b})`),
    fc.tuple(either, either).map(([a, b]) => `not ((${a}) and (${b}))`)
  )
  const property = fc.asyncProperty(mixed, async text => {
    checked++
    const { actual, total, expected } = await bothSides(db, fixture, text)
    t.strictSame(actual, expected, `generated: ${text}`)
    return JSON.stringify(actual) === JSON.stringify(expected) && total === expected.length
  })
  await fc.assert(property, { numRuns: 150, endOnFailure: true })
  t.comment(`${checked} root filters checked`)
})

t.test('the root order is the sort key, then id, then type, across both tables', async t => {
  const { db } = await createTestDatabase(t)
  const fixture = await loadFilterFixture(db)
  const branches: RootBranch[] = [{ type: 'User', filter: undefined }, { type: 'Group', filter: undefined }]
  const all = await listRootPage(db, fixture.organizationId, { branches, baseUrl: BASE_URL, sort: undefined, descending: false, offset: 0, limit: 1000 })
  // Microseconds count: UTC instants as fixed-width text (fraction padded to 6 digits) sort as instants.
  const micros = (text: string): string => new Date(text).toISOString().slice(0, 19) + (text.match(/\.(\d+)Z$/)?.[1] ?? '').padEnd(6, '0')
  const created = new Map([...FIXTURE.users, ...FIXTURE.groups].map(row => [row.id, micros(row.created_at)]))
  const order = (a: string, b: string): number => a < b ? -1 : a > b ? 1 : 0
  const expected = [...all].sort((a, b) => order(created.get(a.id) as string, created.get(b.id) as string) || order(a.id, b.id))
  t.same(all, expected, 'creation order, ties by id')
  t.equal(all.length, fixture.users.size + fixture.groups.size)
  // Pages of any size join up to the whole order, whatever the offset.
  for (const size of [1, 3, 7]) {
    const pages = []
    for (let offset = 0; offset < all.length; offset += size) {
      pages.push(...await listRootPage(db, fixture.organizationId, { branches, baseUrl: BASE_URL, sort: undefined, descending: false, offset, limit: size }))
    }
    t.same(pages, all, `pages of ${size}`)
  }
  const descending = await listRootPage(db, fixture.organizationId, { branches, baseUrl: BASE_URL, sort: { paths: { User: 'userName' } }, descending: true, offset: 0, limit: 1000 })
  t.same(descending.slice(0, fixture.groups.size).map(k => k.type), Array(fixture.groups.size).fill('Group'), 'no userName: first when descending')
})
