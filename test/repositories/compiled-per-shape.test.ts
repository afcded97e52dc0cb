/**
 * compiledPerShape (src/repositories/compiled-per-shape.ts) and the user list compiled per
 * filter shape (userListStatement): a kept template gives exactly the statement the request
 * would have been built into, for random filters whose literals are swapped for others of
 * the same shape (other case, LIKE characters, uuids, instants, U+0000); a builder that
 * rewrites a value is never templated; the kept answers run on a real database.
 */
import fc from 'fast-check'
import t from 'tap'
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely'
import type { Database } from '../../src/db/schema.js'
import { compiledPerShape } from '../../src/repositories/compiled-per-shape.js'
import { filterShape } from '../../src/repositories/filter-shape.js'
import { filteredPageWithTotal, pageWithTotalQuery, type GroupListQuery } from '../../src/repositories/group.repository.js'
import { listUsers, userListQuery, userListStatement, type UserListQuery } from '../../src/repositories/user.repository.js'
import type { ScimFilter } from '../../src/scim/filter/ast.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { resolveFilter } from '../../src/scim/filter/resolve.js'
import type { ScimResourceObject } from '../../src/scim/resource.js'
import { GROUP_RESOURCE, USER_RESOURCE, type ScimResourceSchema } from '../../src/scim/schema/registry.js'
import { createTestDatabase } from '../helpers/database.js'
import { BASE_URL, FIXTURE, loadFilterFixture } from './filter-sql.fixture.js'
import { filterArbitrary } from './filter-sql.generator.js'

/** Compiles only: no statement is ever sent through it. */
const compiler = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: db => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler()
  }
})

const ORG = '3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b'

/** Other literals for a string: some keep its shape, some do not. */
const REPLACEMENTS: readonly string[] = [
  'bob', 'BOB', 'Bob', 'a_b', 'A%B', 'back\\slash', '', 'x 1', '2026-01-01T00:00:00.000Z',
  'ABCDEF12-3456-4789-8ABC-DEF012345678', 'abcdef12-3456-4789-8abc-def012345678', 'nul\u0000in', 'ß', 'İ', 'mail@work.example',
  // The probes themselves (filter-shape.ts), as a client may send them on purpose.
  '\u0001probe0\u0001', '\u0001PROBE1\u0001', '\u0001probe0\u0001_', 'ffffffff-ffff-4fff-bfff-000000000000', 'FFFFFFFF-FFFF-4FFF-BFFF-000000000001'
]

function replaceLiterals (filter: ScimFilter, pick: () => string): ScimFilter {
  switch (filter.kind) {
    case 'and': case 'or': return { kind: filter.kind, left: replaceLiterals(filter.left, pick), right: replaceLiterals(filter.right, pick) }
    case 'not': return { kind: 'not', filter: replaceLiterals(filter.filter, pick) }
    case 'valuePath': return { kind: 'valuePath', path: filter.path, filter: replaceLiterals(filter.filter, pick) }
    case 'present': return filter
    case 'compare': return typeof filter.value === 'string' ? { ...filter, value: pick() } : filter
  }
}

function listQuery (filter: ScimFilter | undefined, overrides: Partial<UserListQuery> = {}): UserListQuery {
  return { filter, sortOrder: 'ascending', offset: 0, limit: 100, groupLimit: 20, baseUrl: BASE_URL, ...overrides }
}

t.test('a builder that only passes values through is compiled once per key and bound per call', async t => {
  let builds = 0
  const query = compiledPerShape<{ a: string, n: number }, { a: string }>((db, { a, n }) => {
    builds++
    return db.selectFrom('users').select('user_name as a').where('user_name', '=', a).where('external_id', '=', 'constant').limit(n)
  }, request => ({ key: 'k', values: [request.a, request.n], probe: { a: '\u0001p', n: 999 }, probes: ['\u0001p', 999] }))
  const first = query.compile(compiler, { a: 'one', n: 1 })
  const second = query.compile(compiler, { a: 'two', n: 2 })
  t.equal(builds, 2, 'the first call built the request and its probe; the second built nothing')
  t.equal(query.size, 1)
  t.equal(second.sql, first.sql)
  t.same(second.parameters, ['two', 'constant', 2])
})

t.test('a builder that rewrites a value is refused, and built per call with the right value', async t => {
  const query = compiledPerShape<{ a: string }, { a: string }>(
    (db, { a }) => db.selectFrom('users').select('user_name as a').where('user_name', '=', a.toLowerCase()),
    request => ({ key: 'k', values: [request.a], probe: { a: '\u0001P' }, probes: ['\u0001P'] }))
  t.same(query.compile(compiler, { a: 'ONE' }).parameters, ['one'])
  t.same(query.compile(compiler, { a: 'Two' }).parameters, ['two'])
  t.equal(query.size, 0, 'nothing kept')
})

t.test('a builder whose text follows a value is refused', async t => {
  const query = compiledPerShape<{ a: string }, { a: string }>(
    (db, { a }) => a.startsWith('\u0001')
      ? db.selectFrom('users').select('user_name as a').where('user_name', '=', a)
      : db.selectFrom('users').select('user_name as a').where('external_id', '=', a),
    request => ({ key: 'k', values: [request.a], probe: { a: '\u0001p' }, probes: ['\u0001p'] }))
  query.compile(compiler, { a: 'x' })
  t.match(query.compile(compiler, { a: 'y' }).sql, /external_id/)
  t.equal(query.size, 0)
})

t.test('values that equal a probe teach nothing: the template is learnt from a later call', async t => {
  const query = compiledPerShape<{ a: string, b: string }, { a: string }>(
    (db, { a, b }) => db.selectFrom('users').select('user_name as a').where('user_name', '=', a).where('external_id', '=', b),
    request => ({ key: 'k', values: [request.a, request.b], probe: { a: '\u0001p', b: '\u0001q' }, probes: ['\u0001p', '\u0001q'] }))
  t.same(query.compile(compiler, { a: '\u0001p', b: 'y' }).parameters, ['\u0001p', 'y'], 'a value equal to its own probe')
  t.same(query.compile(compiler, { a: 'x', b: '\u0001p' }).parameters, ['x', '\u0001p'], 'a value equal to another probe')
  t.equal(query.size, 0, 'nothing kept from them')
  t.same(query.compile(compiler, { a: 'x', b: 'y' }).parameters, ['x', 'y'])
  t.equal(query.size, 1, 'learnt from the next call')
  t.same(query.compile(compiler, { a: '\u0001p', b: 'z' }).parameters, ['\u0001p', 'z'], 'and bound right for any value after')
})

t.test('a client sending the probes first cannot pin them into the lists of everyone', async t => {
  const organizations = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222']
  const cases: Array<{ first: UserListQuery, then: UserListQuery }> = [
    { first: listQuery(undefined, { offset: 2_000_000_001, groupLimit: 0 }), then: listQuery(undefined, { offset: 100, groupLimit: 0 }) },
    { first: listQuery(undefined, { offset: 100, groupLimit: 2_000_000_003 }), then: listQuery(undefined, { offset: 100, groupLimit: 20 }) },
    {
      first: listQuery(resolveFilter(USER_RESOURCE, parseFilter('userName eq "\\u0001probe0\\u0001"'))),
      then: listQuery(resolveFilter(USER_RESOURCE, parseFilter('userName eq "bjensen"')))
    },
    {
      first: listQuery(resolveFilter(USER_RESOURCE, parseFilter('id eq "ffffffff-ffff-4fff-bfff-000000000000"'))),
      then: listQuery(resolveFilter(USER_RESOURCE, parseFilter('id eq "abcdef12-3456-4789-8abc-def012345678"')))
    }
  ]
  for (const { first, then } of cases) {
    userListStatement.compile(compiler, { organizationId: organizations[0] as string, query: first })
    for (const organizationId of organizations) {
      const kept = userListStatement.compile(compiler, { organizationId, query: then })
      const fresh = userListQuery(compiler, organizationId, then).compile()
      t.equal(kept.sql, fresh.sql)
      t.same(kept.parameters, fresh.parameters, JSON.stringify(then.filter ?? then.offset))
    }
  }
})

t.test('a kept template holds none of the values of the call it was learnt from', async t => {
  const secret = 'first-caller-secret@example.com'
  const organizationId = '33333333-3333-4333-8333-333333333333'
  const shape = (value: string) => listQuery(resolveFilter(USER_RESOURCE, parseFilter(`emails[type eq "home"].value eq ${JSON.stringify(value)}`)))
  userListStatement.compile(compiler, { organizationId, query: shape(secret) })
  const later = userListStatement.compile(compiler, { organizationId: '44444444-4444-4444-8444-444444444444', query: shape('other@example.com') })
  const kept = JSON.stringify(later.query)
  t.notOk(kept.includes(secret), 'not the first email')
  t.notOk(kept.includes(organizationId), 'not the first organization')
  t.ok(later.parameters.includes('other@example.com'))
})

t.test('at most `capacity` keys are kept, the oldest dropped first', async t => {
  const query = compiledPerShape<{ key: string, a: string }, { a: string }>(
    (db, { a }) => db.selectFrom('users').select('user_name as a').where('user_name', '=', a),
    request => ({ key: request.key, values: [request.a], probe: { key: request.key, a: '\u0001p' }, probes: ['\u0001p'] }), 3)
  for (const key of ['a', 'b', 'c', 'd']) query.compile(compiler, { key, a: key })
  t.equal(query.size, 3)
  t.same(query.compile(compiler, { key: 'a', a: 'again' }).parameters, ['again'])
})

t.test('filter shapes: what the compiler decides on is in the key', async t => {
  const shape = (text: string) => filterShape(resolveFilter(USER_RESOURCE, parseFilter(text)))
  t.ok(shape('userName eq "bjensen"'))
  t.equal(shape('userName eq "bjensen"')?.key, shape('userName eq "alice"')?.key)
  t.equal(shape('externalId eq "ext-1"')?.key, shape('externalId eq "x 1"')?.key, 'texts Date.parse reads are plain texts')
  t.not(shape('userName eq "bjensen"')?.key, shape('userName eq "BJensen"')?.key, 'case is part of the key')
  t.not(shape('userName co "a"')?.key, shape('userName co "a_"')?.key, 'LIKE characters are part of the key')
  t.not(shape('active eq true')?.key, shape('active eq false')?.key, 'booleans are part of the key')
  t.not(shape('id eq "abcdef12-3456-4789-8abc-def012345678"')?.key, shape('id eq "abcdef12"')?.key, 'being a uuid is part of the key')
  t.equal(shape('userName eq "nul\\u0000in"'), undefined, 'U+0000: no shape')
  t.same(shape('emails[type eq "work"].value eq "A@x.example"')?.literals, ['work', 'A@x.example'])
})

t.test('a shape whose compile rewrites its literal (meta timestamps) is built per request', async t => {
  const before = userListStatement.size
  for (const instant of ['2026-01-01T00:00:00.000Z', '2027-05-05T10:00:00.000Z']) {
    const query = listQuery(resolveFilter(USER_RESOURCE, parseFilter(`meta.created gt "${instant}"`)))
    const fresh = userListQuery(compiler, ORG, query).compile()
    t.same(userListStatement.compile(compiler, { organizationId: ORG, query }).parameters, fresh.parameters, instant)
  }
  t.equal(userListStatement.size, before, 'no template kept')
})

interface Compiled { readonly sql: string, readonly parameters: readonly unknown[] }

/**
 * For generated filters of `resource`, each followed by the same filter with its literals
 * replaced (every replacement in turn, both ways round): the statement from `kept` (which
 * learns and reuses templates) is the one `fresh` builds for that request.
 */
function sameStatements (
  resource: ScimResourceSchema, objects: readonly ScimResourceObject[],
  fresh: (filter: ScimFilter, offset: number, groupLimit: number) => Compiled,
  kept: (filter: ScimFilter, offset: number, groupLimit: number) => Compiled
): void {
  const property = fc.property(
    filterArbitrary(resource, objects), fc.array(fc.nat(REPLACEMENTS.length - 1), { minLength: 1, maxLength: 8 }),
    fc.constantFrom(0, 100, 2_000_000_001), fc.constantFrom(0, 20, 2_000_000_003), (text, picks, offset, groupLimit) => {
      let filter: ScimFilter
      try {
        filter = resolveFilter(resource, parseFilter(text))
      } catch {
        return
      }
      let i = 0
      const mixed = replaceLiterals(filter, () => REPLACEMENTS[picks[i++ % picks.length] as number] as string)
      const uniform = REPLACEMENTS.map(replacement => replaceLiterals(filter, () => replacement))
      for (const f of [filter, mixed, ...uniform, filter, ...uniform.reverse()]) {
        let expected: Compiled
        try {
          expected = fresh(f, offset, groupLimit)
        } catch (error) {
          // A filter the compiler refuses (400) is refused through the templates too.
          let refused = false
          try { kept(f, offset, groupLimit) } catch (again) { refused = String(again) === String(error) }
          if (!refused) throw new Error(`refused only when built afresh: ${JSON.stringify(f)}`)
          continue
        }
        const actual = kept(f, offset, groupLimit)
        if (actual.sql !== expected.sql) throw new Error(`text differs for ${JSON.stringify(f)}`)
        if (JSON.stringify(actual.parameters) !== JSON.stringify(expected.parameters)) {
          throw new Error(`parameters differ for ${JSON.stringify(f)}: ${JSON.stringify(actual.parameters)} vs ${JSON.stringify(expected.parameters)}`)
        }
      }
    })
  fc.assert(property, { numRuns: 300 })
}

t.test('the user list from a kept template is the statement built for the request, for generated filters', async t => {
  // The resources as responses show them, for the generator's pools of values (instants included).
  const objects = FIXTURE.users.map(user => ({
    ...user.attributes, id: user.id, meta: { resourceType: 'User', created: user.created_at, lastModified: user.last_modified }
  }) as unknown as ScimResourceObject)
  const query = (filter: ScimFilter, offset: number, groupLimit: number) => listQuery(filter, { offset, groupLimit })
  sameStatements(USER_RESOURCE, objects,
    (filter, offset, groupLimit) => userListQuery(compiler, ORG, query(filter, offset, groupLimit)).compile(),
    (filter, offset, groupLimit) => userListStatement.compile(compiler, { organizationId: ORG, query: query(filter, offset, groupLimit) }))
  t.ok(userListStatement.size > 0, 'templates were kept')
})

t.test('a filtered group page from a kept template is the statement built for the request, for generated filters', async t => {
  const objects = FIXTURE.groups.map(group => ({
    ...group.attributes, id: group.id, members: group.members.map(value => ({ value })),
    meta: { resourceType: 'Group', created: group.created_at, lastModified: group.last_modified }
  }) as unknown as ScimResourceObject)
  const query = (filter: ScimFilter, offset: number): GroupListQuery => ({ filter, baseUrl: BASE_URL, sortBy: undefined, descending: false, offset, limit: 100 })
  sameStatements(GROUP_RESOURCE, objects,
    (filter, offset) => pageWithTotalQuery(compiler, ORG, query(filter, offset), offset === 0).compile(),
    (filter, offset) => filteredPageWithTotal.compile(compiler, { organizationId: ORG, query: query(filter, offset) }))
  t.ok(filteredPageWithTotal.size > 0, 'templates were kept')
})

t.test('kept templates run: lookups by userName and email on a real database', async t => {
  const { db } = await createTestDatabase(t)
  const fixture = await loadFilterFixture(db)
  const users = [...fixture.users.values()]
  const lookups = ['userName eq', 'emails[type eq "work"].value eq', 'emails.value eq'] as const
  for (const lookup of lookups) {
    for (const user of users.slice(0, 6)) {
      const emails = (user.emails as Array<{ value: string, type?: string }> | undefined) ?? []
      const attribute = lookup === 'userName eq'
        ? user.userName
        : (lookup === 'emails.value eq' ? emails[0] : emails.find(email => email.type === 'work'))?.value
      if (typeof attribute !== 'string') continue
      const filter = resolveFilter(USER_RESOURCE, parseFilter(`${lookup} ${JSON.stringify(attribute)}`))
      const query = listQuery(filter)
      const kept = await listUsers(db, fixture.organizationId, query)
      const fresh = await userListQuery(db, fixture.organizationId, query).execute()
      t.same(kept.users.map(u => u.record.id).sort(), fresh.map(row => row.id).sort(), `${lookup} ${attribute}`)
      t.ok(kept.users.some(u => u.record.id === user.id), `${lookup} ${attribute} finds its user`)
    }
  }
  // The same shape in another organization finds nothing there: the organization is a value, not part of the text.
  const filter = resolveFilter(USER_RESOURCE, parseFilter(`userName eq ${JSON.stringify(users[0]?.userName)}`))
  const elsewhere = await listUsers(db, '7d3e0c55-2f41-4b6a-9c8d-0e1f2a3b4c5d', listQuery(filter))
  t.equal(elsewhere.users.length, 0)
  t.equal(elsewhere.totalResults, 0)
})
