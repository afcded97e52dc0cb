/**
 * Strict parsing of the admin command's times: a duration is one whole number and one unit
 * (`90d`, `24h`, `30m`, `45s`, `2w`), an instant is an ISO 8601 date (`2027-01-31`, the start
 * of that day in UTC) or date-time with an explicit zone (`2027-01-31T18:00:00+01:00`).
 * Anything else is an error that says what is accepted; nothing is guessed.
 */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const DURATION = /^(\d{1,7})([smhdw])$/
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/

export class TimeInputError extends Error {
  override name = 'TimeInputError'
}

export function parseDuration (text: string, what: string, limits: { min: number, max: number }): number {
  const match = DURATION.exec(text)
  if (match === null) {
    throw new TimeInputError(`${what}: "${text}" is not a duration; give a whole number and a unit, e.g. 90d, 24h, 30m (units: s, m, h, d, w).`)
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  if (ms < limits.min) throw new TimeInputError(`${what}: "${text}" is too short (at least ${formatDuration(limits.min)}).`)
  if (ms > limits.max) throw new TimeInputError(`${what}: "${text}" is too long (at most ${formatDuration(limits.max)}).`)
  return ms
}

/** The largest unit that divides the duration: 86400000 is "1d", 5400000 is "90m". */
export function formatDuration (ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`
  }
  return `${ms}ms`
}

function validCalendarDate (year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

export function parseInstant (text: string, what: string): Date {
  const dateOnly = DATE_ONLY.exec(text)
  const dateTime = dateOnly === null ? DATE_TIME.exec(text) : null
  const parts = dateOnly ?? dateTime
  if (parts === null) {
    throw new TimeInputError(`${what}: "${text}" is not a date; give YYYY-MM-DD (start of that day, UTC) or YYYY-MM-DDTHH:MM[:SS]Z / ±HH:MM.`)
  }
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])]
  if (!validCalendarDate(year, month, day)) throw new TimeInputError(`${what}: "${text}" is not a calendar date.`)
  if (dateTime !== null) {
    const [hour, minute, second] = [Number(dateTime[4]), Number(dateTime[5]), Number(dateTime[6] ?? 0)]
    const zone = dateTime[7] as string
    const zoneOk = zone === 'Z' || (Number(zone.slice(1, 3)) <= 23 && Number(zone.slice(4, 6)) <= 59)
    if (hour > 23 || minute > 59 || second > 59 || !zoneOk) throw new TimeInputError(`${what}: "${text}" is not a valid time of day.`)
  }
  return new Date(dateOnly !== null ? Date.UTC(year, month - 1, day) : Date.parse(text))
}
