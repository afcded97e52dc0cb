/**
 * The timestamptz parser of src/db/timestamps.ts gives the instant pg's own parser gives,
 * for every text Postgres can send: generated ISO texts (fractions of 0 to 6 digits, offsets
 * in hours, minutes and seconds), the forms it leaves to pg's parser, and values read back
 * from a real Postgres in time zones with odd offsets.
 */
import t from 'tap'
import fc from 'fast-check'
import pg from 'pg'
import { PG_TYPES, parseIsoTimestamptz } from '../../src/db/timestamps.js'

const pgParse = pg.types.getTypeParser(1184, 'text') as (text: string) => Date | number | null
const ours = PG_TYPES.getTypeParser(1184, 'text') as (text: string) => Date | number | null
const instant = (value: Date | number | null): number | null => value instanceof Date ? value.getTime() : value
const pad = (n: number, width: number): string => String(n).padStart(width, '0')

const isoTimestamptz = fc.record({
  year: fc.integer({ min: 1000, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
  sign: fc.constantFrom('+', '-'),
  offsetHours: fc.integer({ min: 0, max: 15 }),
  offsetMinutes: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
  offsetSeconds: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined })
}).map(v => `${pad(v.year, 4)}-${pad(v.month, 2)}-${pad(v.day, 2)} ${pad(v.hour, 2)}:${pad(v.minute, 2)}:${pad(v.second, 2)}` +
  (v.fraction === undefined ? '' : `.${v.fraction}`) + `${v.sign}${pad(v.offsetHours, 2)}` +
  (v.offsetMinutes === undefined ? '' : `:${pad(v.offsetMinutes, 2)}` + (v.offsetSeconds === undefined ? '' : `:${pad(v.offsetSeconds, 2)}`)))

t.test('generated ISO texts: the same instant as pg\'s parser, and none left to it', async t => {
  fc.assert(fc.property(isoTimestamptz, text => {
    const parsed = parseIsoTimestamptz(text)
    return parsed !== undefined && parsed.getTime() === instant(pgParse(text))
  }), { numRuns: 5000, seed: 7643 })
  t.pass('5000 generated texts')
})

t.test('forms outside the fast path are pg\'s parser\'s answer', async t => {
  const texts = [
    'infinity', '-infinity', '0044-03-15 12:00:00+00 BC', '0099-01-01 00:00:00+00', '0999-12-31 23:59:59.999+00',
    '12345-01-01 00:00:00+00', '2026-12-01 21:47:28.801347+00 BC', '2026-12-01T21:47:28Z', '2026-12-01 21:47:28',
    '2026-12-01 21:47:28.+00', '2026-12-01 21:47:28.1234567+00', '2026-12-01 21:47:28+0', '2026-12-01 21:47:28+05:3'
  ]
  for (const text of texts) {
    const [a, b] = [instant(ours(text)), instant(pgParse(text))]
    t.ok(Object.is(a, b), `${text}: ${String(a)} and ${String(b)}`)
  }
  t.equal(parseIsoTimestamptz('infinity'), undefined)
  t.equal(parseIsoTimestamptz('0044-03-15 12:00:00+00 BC'), undefined)
})

t.test('values read from Postgres, in time zones with fractional and historical offsets', { skip: process.env.DATABASE_URL === undefined ? 'needs DATABASE_URL (real Postgres)' : false }, async t => {
  const zones = ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam', 'America/Los_Angeles']
  const values = ['2026-12-01 21:47:28.801347+00', '1900-01-01 00:00:00+00', '1850-06-30 12:34:56.5+00', '2000-02-29 23:59:59.999999+00', '9999-12-31 00:00:00+00']
  const theirs = new pg.Client({ connectionString: process.env.DATABASE_URL })
  const mine = new pg.Client({ connectionString: process.env.DATABASE_URL, types: PG_TYPES })
  await theirs.connect()
  await mine.connect()
  t.teardown(async () => { await theirs.end(); await mine.end() })
  let seenSecondsOffset = false
  for (const zone of zones) {
    for (const client of [theirs, mine]) await client.query(`set time zone '${zone}'`)
    for (const value of values) {
      const query = { text: 'select $1::timestamptz as at, $1::timestamptz::text as text', values: [value] }
      const [a, b] = await Promise.all([theirs.query(query), mine.query(query)])
      const text = b.rows[0].text as string
      if (/[+-]\d\d:\d\d:\d\d$/.test(text)) seenSecondsOffset = true
      t.equal((b.rows[0].at as Date).getTime(), (a.rows[0].at as Date).getTime(), `${zone}: ${text}`)
      t.not(parseIsoTimestamptz(text), undefined, `${text} is read by the fast path`)
    }
  }
  t.ok(seenSecondsOffset, 'a historical offset with seconds was among the texts')
})
