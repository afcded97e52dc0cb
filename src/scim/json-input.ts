/**
 * Limits on the shape of request JSON, checked before anything walks a body recursively.
 *
 * - Nesting: no SCIM body needs more than a handful of levels (a Bulk operation holding a
 *   PatchOp holding a multi-valued complex value is 8). MAX_JSON_DEPTH leaves room for
 *   clients that wrap values oddly and refuses the 5,000-deep arrays that would otherwise
 *   reach recursive code (error descriptions, bulkId substitution, JSON.stringify).
 * - Text: every string, keys included, must be well-formed Unicode. A lone UTF-16 surrogate
 *   (`"\ud800"` is valid JSON) has no UTF-8 form: Postgres refuses it in jsonb and Node turns
 *   it into U+FFFD in text columns, silently changing the client's data. It is refused with
 *   400 invalidValue naming where it was.
 */
import { ScimError } from './errors.js'

export const MAX_JSON_DEPTH = 32

/**
 * Deepest `[`/`{` nesting of JSON text, scanning once without parsing (strings skipped), so
 * the refusal costs O(length) and no recursion. Malformed text is left to the parser.
 */
export function checkJsonDepth (text: string, limit = MAX_JSON_DEPTH): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) throw ScimError.invalidSyntax(`The request JSON nests deeper than ${limit} levels (MAX_JSON_DEPTH).`)
    } else if (c === 0x5d || c === 0x7d) depth--
  }
}

/** `a.b[2].c` for error details; keys that are not plain names are quoted. */
function describeLocation (parts: ReadonlyArray<string | number>): string {
  let out = ''
  for (const part of parts) {
    if (typeof part === 'number') out += `[${part}]`
    else if (/^[A-Za-z_$][\w$:.-]*$/.test(part)) out += out === '' ? part : `.${part}`
    else out += `[${JSON.stringify(part.toWellFormed())}]`
  }
  return out === '' ? 'the request body' : out
}

/**
 * Throws 400 invalidValue at the first string (value or key) that is not well-formed UTF-16.
 * Iterative; the depth is bounded by checkJsonDepth before parsing anyway.
 */
export function checkWellFormedText (value: unknown): void {
  const stack: Array<{ value: unknown, where: ReadonlyArray<string | number> }> = [{ value, where: [] }]
  while (stack.length > 0) {
    const { value: current, where } = stack.pop() as { value: unknown, where: ReadonlyArray<string | number> }
    if (typeof current === 'string') {
      if (!current.isWellFormed()) throw illFormed(where)
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], where: [...where, i] })
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        if (!key.isWellFormed()) throw illFormed([...where, key])
        stack.push({ value: item, where: [...where, key] })
      }
    }
  }
}

function illFormed (where: ReadonlyArray<string | number>): ScimError {
  return ScimError.invalidValue(`"${describeLocation(where)}" contains a lone UTF-16 surrogate, which is not text and cannot be stored.`)
}
