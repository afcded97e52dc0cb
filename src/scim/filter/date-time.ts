/**
 * dateTime parsing for filter comparisons. RFC 7643 §2.3.5 says xsd:dateTime; clients send
 * more precision than JavaScript keeps (Entra: `2015-10-10T14:38:21.8617979-07:00`, seven
 * fractional digits), so fractions are truncated to milliseconds rather than rejected. A value
 * without a zone is taken as UTC (inferred: the service stores UTC).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/

/** Epoch milliseconds, or undefined when the text is not a valid date/dateTime. */
export function parseDateTime (text: string): number | undefined {
  const m = DATE_TIME.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map(i => Number(m[i] ?? 0))
  const millis = Number(((m[7] ?? '') + '000').slice(0, 3))
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis))
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  const utc = date.setUTCFullYear(year, month - 1, day)
  // 31 February rolls over into March; a real calendar date does not.
  if (date.getUTCDate() !== day) return undefined
  const offsetMinutes = m[9] === undefined ? 0 : (Number(m[10]) * 60 + Number(m[11])) * (m[9] === '-' ? -1 : 1)
  if (Math.abs(offsetMinutes) > 18 * 60) return undefined
  return utc - offsetMinutes * 60_000
}
