/**
 * Reading `timestamptz` values from Postgres's text format into Dates, fast.
 *
 * pg's default parser (postgres-date) runs three regular expressions per value; a page of 100
 * groups has 200 timestamps and the parser was 8% of the service's CPU on that page. With
 * DateStyle ISO (the default, and what pg's protocol relies on) a timestamptz always arrives
 * as `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`; that form is read digit by digit here.
 * Anything else (years before 1000 or after 9999, BC, infinity, another DateStyle) goes to
 * pg's own parser, so every value parses exactly as it did before.
 */
import pg from 'pg'

const TIMESTAMPTZ_OID = 1184
const ZERO = 48

const fallback = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => unknown

/** The number written by `count` digits at `at`, or -1 when one of them is not a digit. */
function digits (text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - ZERO
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/**
 * The instant of a timestamptz in ISO text, or undefined when `text` is not in the form
 * above (the caller then uses pg's parser). Fractions below a millisecond are dropped, as
 * pg's parser drops them (a Date holds milliseconds).
 */
export function parseIsoTimestamptz (text: string): Date | undefined {
  if (text.length < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 32 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 24 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined
  let at = 19
  let ms = 0
  if (text.charCodeAt(at) === 46) {
    at++
    const start = at
    while (at < text.length && at - start < 6) {
      const digit = text.charCodeAt(at) - ZERO
      if (digit < 0 || digit > 9) break
      if (at - start < 3) ms = ms * 10 + digit
      at++
    }
    if (at === start) return undefined
    // ".5" is 500 ms, ".05" 50 ms.
    for (let scale = at - start; scale < 3; scale++) ms *= 10
  }
  const sign = text.charCodeAt(at)
  if (sign !== 43 && sign !== 45) return undefined
  const offsetHours = digits(text, at + 1, 2)
  if (offsetHours < 0) return undefined
  at += 3
  let offsetSeconds = offsetHours * 3600
  if (at < text.length) {
    if (text.charCodeAt(at) !== 58) return undefined
    const offsetMinutes = digits(text, at + 1, 2)
    if (offsetMinutes < 0) return undefined
    offsetSeconds += offsetMinutes * 60
    at += 3
    if (at < text.length) {
      if (text.charCodeAt(at) !== 58) return undefined
      const extraSeconds = digits(text, at + 1, 2)
      if (extraSeconds < 0) return undefined
      offsetSeconds += extraSeconds
      at += 3
    }
  }
  if (at !== text.length) return undefined
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  return new Date(local - (sign === 43 ? offsetSeconds : -offsetSeconds) * 1000)
}

function parseTimestamptz (text: string): unknown {
  return parseIsoTimestamptz(text) ?? fallback(text)
}

/** pg's `types` option: this parser for timestamptz, pg's own for every other type. */
export const PG_TYPES = {
  getTypeParser (oid: number, format?: 'text' | 'binary'): unknown {
    if (oid === TIMESTAMPTZ_OID && format !== 'binary') return parseTimestamptz
    return pg.types.getTypeParser(oid, format)
  }
}
