/**
 * Recursive-descent parser for SCIM filters, RFC 7644 §3.4.2.2 (ABNF in Figure 1).
 * Precedence: `not` binds tightest, then `and`, then `or`; `and`/`or` are left-associative.
 *
 * Tolerances for real clients (see CLIENTS.md), each a deliberate departure from the ABNF:
 * - attribute names and operators are case-insensitive (`DisplayName EQ "x"`), as §3.4.2.2 says;
 * - an unquoted value that is not `true`, `false`, `null` or a canonical JSON number is a string
 *   (`name.familyName eq Employee`, `meta.created gt 2015-10-10T14:38:21.8617979-07:00`);
 *   `True` is also the string "True" here; the resolver turns it into a boolean where the
 *   attribute is boolean. `00123` or `1.50` stay strings (see parseBareValue);
 * - Entra's `emails[type eq "work"].value eq "x"` becomes `emails[type eq "work" and value eq "x"]`.
 *
 * Why not `scim2-parse-filter` (0.2.10, tried on our cases in a scratch project): it rejects
 * the unquoted values real clients send (`eq Employee`, `gt 2015-10-10T14:38:21…-07:00`),
 * turns Entra's `emails[type eq "work"].value eq "x"` into two independent conditions (which
 * may match different emails), overflows the stack on deeply nested input, and its evaluator
 * knows no schema, so `userName eq "ford"` misses "Ford" (caseExact false, RFC 7643 §4.1).
 */
import { ScimError } from '../errors.js'
import {
  andFilter, attributePath, compareFilter, notFilter, orFilter, presentFilter, valuePathFilter,
  MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, SCIM_COMPARE_OPERATORS
} from './ast.js'
import type { ScimAttributePath, ScimCompareOperator, ScimFilter, ScimFilterValue } from './ast.js'
import { describePosition, tokenize } from './lexer.js'
import type { ScimToken } from './lexer.js'

type MakeError = (detail: string) => ScimError

/** RFC 7643 §2.1 ATTRNAME, plus `$ref` (used by `members.$ref`, RFC 7643 §4.2). */
const ATTR_NAME = /^(?:\$ref|[A-Za-z][A-Za-z0-9_-]*)$/
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/
const OPERATORS_TEXT = 'eq, ne, co, sw, ew, gt, ge, lt, le or pr'

/** Parses filter text into the syntactic AST; throws 400 `invalidFilter` saying where and what was expected. */
export function parseFilter (text: string): ScimFilter {
  if (typeof text !== 'string') throw ScimError.invalidFilter('The filter must be a string.')
  if (text.length > MAX_FILTER_LENGTH) {
    throw ScimError.invalidFilter(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`)
  }
  const parser = new FilterParser(text, ScimError.invalidFilter)
  const filter = parser.parseExpression(false)
  parser.expectEnd()
  return filter
}

/**
 * Splits `urn:…:User:name.givenName` / `name.givenName` / `userName` into a path. A URN prefix
 * is everything up to the last `:`; the resolver checks it names a schema of the resource.
 */
export function parseAttributePathText (text: string, pos: number, makeError: MakeError): ScimAttributePath {
  const colon = text.lastIndexOf(':')
  let schema: string | undefined
  let rest = text
  if (colon >= 0) {
    if (!/^urn:/i.test(text)) {
      throw makeError(`Invalid attribute path "${text}" ${describePosition(pos)}: expected an attribute name or a "urn:" schema prefix.`)
    }
    schema = text.slice(0, colon)
    rest = text.slice(colon + 1)
  }
  const parts = rest.split('.')
  if (parts.length > 2 || !parts.every(part => ATTR_NAME.test(part))) {
    throw makeError(`Invalid attribute path "${text}" ${describePosition(pos)}: expected attribute or attribute.subAttribute.`)
  }
  return attributePath(parts[0], parts[1], schema)
}

/** Exported for `parsePath`, which reuses the attribute and value-filter grammar. */
export class FilterParser {
  private readonly tokens: ScimToken[]
  private index = 0
  private depth = 0

  /** `noun` names the input in error details: "filter" or "path". */
  constructor (readonly text: string, private readonly makeError: MakeError, private readonly noun = 'filter') {
    this.tokens = tokenize(text, makeError)
  }

  peek (): ScimToken {
    return this.tokens[this.index]
  }

  next (): ScimToken {
    const token = this.tokens[this.index]
    if (token.type !== 'end') this.index++
    return token
  }

  fail (token: ScimToken, expected: string): never {
    const found = token.type === 'end' ? 'the end of the input' : `"${token.text}"`
    throw this.makeError(`Invalid ${this.noun} ${describePosition(token.pos)}: expected ${expected}, found ${found}.`)
  }

  expect (type: ScimToken['type'], expected: string): ScimToken {
    const token = this.next()
    if (token.type !== type) this.fail(token, expected)
    return token
  }

  expectEnd (): void {
    const token = this.peek()
    if (token.type !== 'end') this.fail(token, '"and", "or" or the end of the filter')
  }

  /** `orExpr := andExpr ("or" andExpr)*`; `inValuePath` forbids nested value paths (§3.4.2.2 valFilter). */
  parseExpression (inValuePath: boolean): ScimFilter {
    let left = this.parseAnd(inValuePath)
    while (this.isKeyword(this.peek(), 'or')) {
      this.next()
      left = orFilter(left, this.parseAnd(inValuePath))
    }
    return left
  }

  private parseAnd (inValuePath: boolean): ScimFilter {
    let left = this.parseUnary(inValuePath)
    while (this.isKeyword(this.peek(), 'and')) {
      this.next()
      left = andFilter(left, this.parseUnary(inValuePath))
    }
    return left
  }

  private parseUnary (inValuePath: boolean): ScimFilter {
    const token = this.peek()
    if (token.type === 'lparen') {
      this.next()
      const inner = this.nested(() => this.parseExpression(inValuePath))
      this.expect('rparen', '")"')
      return inner
    }
    if (this.isKeyword(token, 'not') && this.tokens[this.index + 1].type === 'lparen') {
      this.next()
      this.next()
      const inner = this.nested(() => this.parseExpression(inValuePath))
      this.expect('rparen', '")"')
      return notFilter(inner)
    }
    return this.parseAttributeExpression(inValuePath)
  }

  private parseAttributeExpression (inValuePath: boolean): ScimFilter {
    const token = this.next()
    if (token.type !== 'word') this.fail(token, 'an attribute path, "not (" or "("')
    const path = parseAttributePathText(token.text, token.pos, this.makeError)
    if (this.peek().type !== 'lbracket') return this.parseCondition(path)
    if (inValuePath) this.fail(this.peek(), 'a comparison operator (value paths cannot be nested)')
    if (path.subAttribute !== undefined) this.fail(this.peek(), 'a comparison operator (a value path needs an attribute without sub-attribute)')
    const filter = this.parseBracketFilter()
    const after = this.peek()
    if (after.type === 'word' && after.text.startsWith('.')) {
      // Entra: `emails[type eq "work"].value eq "x"` means one element matching both.
      this.next()
      const sub = parseAttributePathText(after.text.slice(1), after.pos + 1, this.makeError)
      if (sub.subAttribute !== undefined || sub.schema !== undefined) this.fail(after, 'a sub-attribute name after "]."')
      return valuePathFilter(path, andFilter(filter, this.parseCondition(sub)))
    }
    return valuePathFilter(path, filter)
  }

  /** `"[" valFilter "]"`, the brackets included. */
  parseBracketFilter (): ScimFilter {
    this.expect('lbracket', '"["')
    const filter = this.nested(() => this.parseExpression(true))
    this.expect('rbracket', '"]"')
    return filter
  }

  private parseCondition (path: ScimAttributePath): ScimFilter {
    const token = this.next()
    const op = token.type === 'word' ? token.text.toLowerCase() : ''
    if (op === 'pr') return presentFilter(path)
    if (!(SCIM_COMPARE_OPERATORS as readonly string[]).includes(op)) {
      this.fail(token, `a comparison operator (${OPERATORS_TEXT})`)
    }
    return compareFilter(path, op as ScimCompareOperator, this.parseValue())
  }

  private parseValue (): ScimFilterValue {
    const token = this.next()
    if (token.type === 'string') return token.value as string
    if (token.type !== 'word') this.fail(token, 'a value (a "string", number, true, false or null)')
    return parseBareValue(token.text)
  }

  private nested<T> (parse: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw this.makeError(`The ${this.noun} nests deeper than ${MAX_FILTER_DEPTH} levels.`)
    }
    const result = parse()
    this.depth--
    return result
  }

  private isKeyword (token: ScimToken, keyword: string): boolean {
    return token.type === 'word' && token.text.toLowerCase() === keyword
  }
}

/** An unquoted value: RFC literals, JSON numbers, and (tolerance) anything else as a string. */
function parseBareValue (text: string): ScimFilterValue {
  if (text === 'true') return true
  if (text === 'false') return false
  if (text === 'null') return null
  if (JSON_NUMBER.test(text)) {
    // Only a number written canonically is a number: `1.50` or `1e3` stay the text the client
    // sent (an externalId "1.50" must not become "1.5"); numeric attributes convert them back.
    const n = Number(text)
    if (String(n) === text) return n
  }
  return text
}
