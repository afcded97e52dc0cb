import fc from 'fast-check'
import t from 'tap'
import { formatDuration, parseDuration, parseInstant, TimeInputError } from '../../src/cli/duration.js'

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER }

t.test('durations: one whole number and one unit', async t => {
  t.equal(parseDuration('45s', 'x', ANY), 45_000)
  t.equal(parseDuration('30m', 'x', ANY), 1_800_000)
  t.equal(parseDuration('24h', 'x', ANY), 86_400_000)
  t.equal(parseDuration('90d', 'x', ANY), 90 * 86_400_000)
  t.equal(parseDuration('2w', 'x', ANY), 14 * 86_400_000)
  t.equal(parseDuration('0s', 'x', ANY), 0)
  for (const bad of ['', '30', 'd', '1.5h', '1h30m', ' 1h', '1h ', '1H', '+1h', '-1h', '1y', '1 d', '１h', '12345678d']) {
    t.throws(() => parseDuration(bad, '--grace', ANY), { name: 'TimeInputError', message: /^--grace: .* is not a duration/ }, JSON.stringify(bad))
  }
  t.throws(() => parseDuration('1m', '--expires-in', { min: 3_600_000, max: ANY.max }), /too short \(at least 1h\)/)
  t.equal(formatDuration(90 * 60_000), '90m')
  t.equal(formatDuration(14 * 86_400_000), '2w')
})

t.test('any string is a duration that formats back to itself, or a TimeInputError', async () => {
  fc.assert(fc.property(fc.string({ maxLength: 12 }), text => {
    try {
      const ms = parseDuration(text, 'x', ANY)
      return Number.isSafeInteger(ms) && parseDuration(formatDuration(ms), 'x', ANY) === ms
    } catch (error) {
      return error instanceof TimeInputError
    }
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.integer({ min: 0, max: 9_999_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'), (n, unit) =>
    parseDuration(formatDuration(parseDuration(`${n}${unit}`, 'x', ANY)), 'x', ANY) === parseDuration(`${n}${unit}`, 'x', ANY)))
})

t.test('instants: a date (start of day, UTC) or a date-time with a zone', async t => {
  t.same(parseInstant('2030-01-31', 'x'), new Date('2030-01-31T00:00:00Z'))
  t.same(parseInstant('2030-01-31T18:00Z', 'x'), new Date('2030-01-31T18:00:00Z'))
  t.same(parseInstant('2030-01-31T18:00:30+01:00', 'x'), new Date('2030-01-31T17:00:30Z'))
  t.same(parseInstant('2028-02-29', 'x'), new Date('2028-02-29T00:00:00Z'), 'a leap day')
  for (const bad of ['2030-02-29', '2030-13-01', '2030-00-10', '2030-1-5', '2030-01-31T18:00', '2030-01-31 18:00Z',
    '2030-01-31T24:00Z', '2030-01-31T18:60Z', '2030-01-31T18:00+25:00', 'tomorrow', '1735689600', '']) {
    t.throws(() => parseInstant(bad, '--expires-at'), { name: 'TimeInputError', message: /^--expires-at: / }, JSON.stringify(bad))
  }
})

t.test('any string is an instant or a TimeInputError, never an invalid date', async () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.date({ noInvalidDate: true }).map(d => d.toISOString())), text => {
    try {
      return !Number.isNaN(parseInstant(text, 'x').getTime())
    } catch (error) {
      return error instanceof TimeInputError
    }
  }), { numRuns: 2000 })
})
