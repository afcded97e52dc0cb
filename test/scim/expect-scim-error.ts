import { ScimError } from '../../src/scim/errors.js'
import type { ScimErrorType } from '../../src/scim/errors.js'
import type { Test } from 'tap'


/** Runs `fn`, expecting a ScimError with the given status, scimType and detail pattern. */
export function expectScimError (t: Test, fn: () => unknown, scimType: ScimErrorType | undefined, detail: RegExp, label = String(detail)): void {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ScimError)) {
      t.fail(`${label}: expected a ScimError, got ${String(error)}`)
      return
    }
    t.equal(error.status, 400, `${label}: status`)
    t.equal(error.scimType, scimType, `${label}: scimType (${error.detail})`)
    t.match(error.detail, detail, `${label}: detail`)
    return
  }
  t.fail(`${label}: expected an error`)
}
