/**
 * Prints a filter AST back to RFC 7644 §3.4.2.2 text that `parseFilter` turns into the same
 * AST: strings JSON-quoted, parentheses wherever precedence or left-associativity needs them.
 * Used in error details, logs and tests (round-trip property).
 */
import type { ScimAttributePath, ScimFilter, ScimFilterValue } from './ast.js'

/** Binding strength: a child weaker than its context is parenthesised. */
const PRECEDENCE = { or: 1, and: 2 } as const

export function printFilter (filter: ScimFilter): string {
  return printNode(filter, 0)
}

export function printAttributePath (path: ScimAttributePath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`
  return path.schema === undefined ? name : `${path.schema}:${name}`
}

export function printFilterValue (value: ScimFilterValue): string {
  return JSON.stringify(value)
}

function printNode (filter: ScimFilter, context: number): string {
  switch (filter.kind) {
    case 'compare':
      return `${printAttributePath(filter.path)} ${filter.op} ${printFilterValue(filter.value)}`
    case 'present':
      return `${printAttributePath(filter.path)} pr`
    case 'not':
      return `not (${printNode(filter.filter, 0)})`
    case 'valuePath':
      return `${printAttributePath(filter.path)}[${printNode(filter.filter, 0)}]`
    case 'and':
    case 'or': {
      const own = PRECEDENCE[filter.kind]
      // Left-associative: the right operand of the same operator needs parentheses.
      const text = `${printNode(filter.left, own)} ${filter.kind} ${printNode(filter.right, own + 0.5)}`
      return own < context ? `(${text})` : text
    }
  }
}
