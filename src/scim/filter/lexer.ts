/**
 * Tokeniser for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
 *
 * Attribute paths, operators, keywords and unquoted values are all `word` tokens: a maximal
 * run of characters other than whitespace, `(`, `)`, `[`, `]` and `"`. The parser decides
 * by position what a word means, which is what lets real clients' unquoted values
 * (`meta.created gt 2015-10-10T14:38:21.8617979-07:00`) through. Any whitespace separates
 * tokens, not only SP: query strings decode `+` and `%20` differently across clients.
 */
import type { ScimError } from '../errors.js'

export type ScimTokenType = 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'word' | 'string' | 'end'

export interface ScimToken {
  readonly type: ScimTokenType
  /** The source text of the token (with quotes for strings). */
  readonly text: string
  /** 0-based offset in the input. */
  readonly pos: number
  /** The decoded value of a `string` token. */
  readonly value?: string
}

const PUNCTUATION: Readonly<Record<string, ScimTokenType>> = {
  '(': 'lparen',
  ')': 'rparen',
  '[': 'lbracket',
  ']': 'rbracket'
}

const WORD_END = /[\s()[\]"]/

/** Where an error happened, for `detail`: 1-based character position, as a person counts. */
export function describePosition (pos: number): string {
  return `at character ${pos + 1}`
}

export function tokenize (text: string, makeError: (detail: string) => ScimError): ScimToken[] {
  const tokens: ScimToken[] = []
  let pos = 0
  while (pos < text.length) {
    const ch = text[pos]
    if (/\s/.test(ch)) {
      pos++
    } else if (PUNCTUATION[ch] !== undefined) {
      tokens.push({ type: PUNCTUATION[ch], text: ch, pos })
      pos++
    } else if (ch === '"') {
      const token = readString(text, pos, makeError)
      tokens.push(token)
      pos += token.text.length
    } else {
      let end = pos + 1
      while (end < text.length && !WORD_END.test(text[end])) end++
      tokens.push({ type: 'word', text: text.slice(pos, end), pos })
      pos = end
    }
  }
  tokens.push({ type: 'end', text: '', pos: text.length })
  return tokens
}

/** A JSON string literal (RFC 8259 §7), escapes included, decoded with `JSON.parse`. */
function readString (text: string, start: number, makeError: (detail: string) => ScimError): ScimToken {
  let pos = start + 1
  while (pos < text.length && text[pos] !== '"') {
    pos += text[pos] === '\\' ? 2 : 1
  }
  if (pos >= text.length) {
    throw makeError(`Unterminated string starting ${describePosition(start)}: expected a closing '"'.`)
  }
  const raw = text.slice(start, pos + 1)
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    throw makeError(`Invalid string literal ${describePosition(start)}: expected a JSON string (check escapes and control characters).`)
  }
  return { type: 'string', text: raw, pos: start, value: value as string }
}
