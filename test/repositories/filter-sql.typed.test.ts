/**
 * Typed jsonb comparisons (integer, decimal, dateTime, boolean) that today's registry stores
 * only in columns but an extension attribute would store in `attributes`: the compiler must
 * still agree with the evaluator, stored junk included. And `scim_datetime` (migration 0003)
 * must read text exactly as date-time.ts does.
 */
import { sql } from 'kysely'
import t from 'tap'
import { compileFilter } from '../../src/repositories/filter-sql.js'
import type { ScimFilterMap } from '../../src/repositories/filter-sql.js'
import { jsonAttributeField } from '../../src/repositories/filter-sql.fields.js'
import { parseDateTime } from '../../src/scim/filter/date-time.js'
import { evaluateFilter } from '../../src/scim/filter/evaluate.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { resolveFilter } from '../../src/scim/filter/resolve.js'
import { defineAttribute } from '../../src/scim/schema/common.js'
import { USER_RESOURCE, USER_SCHEMA } from '../../src/scim/schema/registry.js'
import type { ScimResourceSchema } from '../../src/scim/schema/registry.js'
import { createTestDatabase } from '../helpers/database.js'

const EXT = 'urn:example:params:scim:schemas:extension:typed:2.0:User'
const RESOURCE: ScimResourceSchema = {
  ...USER_RESOURCE,
  extensions: [{
    id: EXT,
    name: 'Typed',
    description: 'test-only typed attributes',
    attributes: [
      defineAttribute('score', 'integer'), defineAttribute('ratio', 'decimal'),
      defineAttribute('hiredAt', 'dateTime'), defineAttribute('verified', 'boolean')
    ]
  }]
}
const MAP: ScimFilterMap = {
  resource: RESOURCE,
  field: (path, attribute) => jsonAttributeField(sql.ref('users.attributes'), USER_SCHEMA, path, attribute)
}

const STORED: Array<Record<string, unknown> | undefined> = [
  { score: 5, ratio: 0.25, hiredAt: '2015-10-10T14:38:21.8617979-07:00', verified: true },
  { score: '5', ratio: '0.25', hiredAt: '2015-10-10T21:38:21.861Z', verified: 'true' },
  { score: 5.0, ratio: 1e-7, hiredAt: '2020-02-31T00:00:00Z', verified: false },
  { score: -3, ratio: 100, hiredAt: '2020-02-29', verified: null },
  { score: null, hiredAt: 'not a date' },
  { score: 12, hiredAt: 1444513101861 },
  {},
  undefined
]

const FILTERS = [
  'score eq 5', 'score ne 5', 'score gt 4', 'score le 5.5', 'score lt 0', 'score ge "12"', 'score pr', 'not (score pr)',
  'ratio lt 0.5', 'ratio eq 0.25', 'ratio gt 0.0000001', 'ratio ge 1e-7',
  'hiredAt eq "2015-10-10T21:38:21.861Z"', 'hiredAt gt "2015-10-10T14:38:21-07:00"', 'hiredAt lt "2020-03-01"',
  'hiredAt ge "2020-02-29T00:00:00+00:00"', 'hiredAt ne "2020-02-29"', 'hiredAt pr',
  'verified eq true', 'verified ne true', 'verified eq false', 'verified pr', 'verified eq null'
].map(f => f.replace(/^(not \()?/, prefix => `${prefix}${EXT}:`))

t.test('typed jsonb values compare as the evaluator compares them', async t => {
  const { db } = await createTestDatabase(t)
  const org = (await db.insertInto('organizations').values({ name: 'typed' }).returning('id').executeTakeFirstOrThrow()).id
  const rows = await db.insertInto('users').values(STORED.map((typed, i) => ({
    organization_id: org, user_name: `u${i}`, attributes: JSON.stringify(typed === undefined ? { userName: `u${i}` } : { userName: `u${i}`, [EXT]: typed })
  }))).returning(['id', 'attributes']).execute()
  for (const text of FILTERS) {
    const filter = resolveFilter(RESOURCE, parseFilter(text))
    const expected = rows.filter(r => evaluateFilter(RESOURCE, filter, r.attributes)).map(r => r.id).sort()
    const actual = (await db.selectFrom('users').select('id').where(() => compileFilter(MAP, filter)).execute()).map(r => r.id).sort()
    t.same(actual, expected, `${text.replace(EXT + ':', '')} (${expected.length} match)`)
  }
})

t.test('scim_datetime reads text as parseDateTime does, NULL for junk', async t => {
  const { db } = await createTestDatabase(t)
  const texts = [
    '2015-10-10T14:38:21.8617979-07:00', '2015-10-10T21:38:21.861Z', '2020-02-29', '2021-02-29', '2020-02-31T00:00:00Z',
    '0000-01-01T00:00:00Z', '0099-12-31T23:59:59.999Z', '2020-01-01T24:00:00Z', '2020-13-01', '2020-00-10', '2020-01-01T10:00',
    '2020-01-01 10:00:00+0530', '2020-01-01T10:00:00+18:01', '2020-01-01T10:00:00-18:00', 'junk', '', '2020-1-1',
    '2020-01-01t10:00:00z', '9999-12-31T23:59:59.9999Z', '2020-01-01T10:00:00,5Z', '2020-01-01T10:60:00Z', '2020-01-01T10:00:00Z ',
    '２０２０-01-01', '2020-01-01T10:00:00.Z'
  ]
  for (const text of texts) {
    const row = await sql<{ ms: number | null }>`select (extract(epoch from scim_datetime(${text})) * 1000)::float8 as ms`.execute(db)
    t.equal(row.rows[0]?.ms ?? undefined, parseDateTime(text), JSON.stringify(text))
  }
})
