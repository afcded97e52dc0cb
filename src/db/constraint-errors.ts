/**
 * The one place that turns Postgres constraint violations into SCIM errors, by constraint
 * name (names follow table__columns__kind, see migrations/).
 */
import { ScimError } from '../scim/errors.js'

interface PgError {
  code?: string
  constraint?: string
}

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
const CHECK_VIOLATION = '23514'

const CONSTRAINT_ERRORS: Record<string, () => ScimError> = {
  users__organization_id_user_name__key: () => ScimError.uniqueness('userName is already taken by another user of this organization.'),
  groups__organization_id_display_name__key: () => ScimError.uniqueness('displayName is already taken by another group of this organization.'),
  organizations__name__key: () => ScimError.uniqueness('An organization with this name exists already.'),
  group_members__user_id__fkey: () => ScimError.invalidValue('Only existing customer users of this organization can be group members.'),
  group_members__user_type__check: () => ScimError.invalidValue('Only customer users can be group members.')
}

export function isPgError (error: unknown): error is PgError & Error {
  return typeof error === 'object' && error !== null && typeof (error as PgError).code === 'string' &&
    /^[0-9A-Z]{5}$/.test((error as PgError).code as string)
}

export function isConstraintViolation (error: unknown, constraint: string): boolean {
  return isPgError(error) && error.constraint === constraint
}

/**
 * Data Postgres cannot store or index (U+0000, a value too long for an index, an impossible
 * date) is the client's bad value, never a 500: Entra retries 5xx and quarantines the job.
 * Validation refuses these first; this is the backstop.
 */
const BAD_VALUE_CODES: Record<string, string> = {
  '22021': 'A value contains characters that cannot be stored.',
  '22P05': 'A value contains characters that cannot be stored.',
  '54000': 'A value is too long to be stored.',
  '22008': 'A date or time value is out of range.'
}

/** A SCIM error for a known constraint violation or bad value, or undefined for anything else. */
export function mapDatabaseError (error: unknown): ScimError | undefined {
  if (!isPgError(error)) return undefined
  const badValue = BAD_VALUE_CODES[error.code as string]
  if (badValue !== undefined) return ScimError.invalidValue(badValue)
  if (![UNIQUE_VIOLATION, FOREIGN_KEY_VIOLATION, CHECK_VIOLATION].includes(error.code as string)) return undefined
  const make = error.constraint !== undefined ? CONSTRAINT_ERRORS[error.constraint] : undefined
  return make?.()
}
