/**
 * PATCH attribute paths, RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`, plus a bare
 * extension URN (§3.5.2.1 examples address a whole extension that way). Resolved against the
 * registry case-insensitively; anything unknown or malformed is 400 `invalidPath`.
 *
 * Examples: `userName`, `name.familyName`, `urn:…:enterprise:2.0:User:manager.value`,
 * `emails[type eq "work"]`, `emails[type eq "work"].value`, `members[value eq "2819c223"]`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
 */
import { ScimError } from './errors.js'
import { MAX_FILTER_LENGTH } from './filter/ast.js'
import type { ScimFilter } from './filter/ast.js'
import { FilterParser, parseAttributePathText } from './filter/parser.js'
import { resolveElementFilter } from './filter/resolve.js'
import { findAttribute, findExtension, findSubAttribute, splitUrnPrefix } from './schema/registry.js'
import type { ScimResourceSchema } from './schema/registry.js'
import type { ScimAttributeDefinition } from './schema/types.js'

export interface ScimPatchPath {
  /** Canonical URN of the schema holding the attribute (the core URN for id/externalId/meta). */
  readonly schema: string
  /** Canonical attribute name; absent when the path is a bare extension URN. */
  readonly attribute?: string
  readonly subAttribute?: string
  /** Resolved element filter (paths relative to one element), for `attr[filter]`. */
  readonly filter?: ScimFilter
  /** Definitions of `attribute` and `subAttribute`, for the PATCH engine. */
  readonly attributeDefinition?: ScimAttributeDefinition
  readonly subAttributeDefinition?: ScimAttributeDefinition
}

export function parsePath (resource: ScimResourceSchema, text: string): ScimPatchPath {
  if (typeof text !== 'string' || text.trim() === '') throw ScimError.invalidPath('The path must be a non-empty string.')
  if (text.length > MAX_FILTER_LENGTH) throw ScimError.invalidPath(`The path is longer than ${MAX_FILTER_LENGTH} characters.`)
  const trimmed = text.trim()
  const { schema: prefix, rest } = splitUrnPrefix(resource, trimmed)
  if (prefix !== undefined && rest === '') {
    const extension = findExtension(resource, prefix)
    if (extension === undefined) throw ScimError.invalidPath(`The path "${trimmed}" names the core schema; name an attribute.`)
    return Object.freeze({ schema: extension.id })
  }
  if (prefix === undefined && /^urn:/i.test(trimmed)) {
    throw ScimError.invalidPath(`Unknown schema in path "${trimmed}" for ${resource.resourceType.name} resources.`)
  }
  const syntax = parsePathSyntax(trimmed, trimmed.length - rest.length)
  return resolvePathSyntax(resource, prefix, syntax, trimmed)
}

interface PathSyntax {
  attribute: string
  subAttribute?: string
  filter?: ScimFilter
}

function parsePathSyntax (text: string, offset: number): PathSyntax {
  // Blank out the URN prefix so error positions count from the start of the whole path.
  const parser = new FilterParser(' '.repeat(offset) + text.slice(offset), ScimError.invalidPath, 'path')
  const first = parser.next()
  if (first.type !== 'word') parser.fail(first, 'an attribute name')
  const path = parseAttributePathText(first.text, first.pos, ScimError.invalidPath)
  if (parser.peek().type !== 'lbracket') {
    if (parser.peek().type !== 'end') parser.fail(parser.peek(), 'the end of the path')
    return { attribute: path.attribute, subAttribute: path.subAttribute }
  }
  if (path.subAttribute !== undefined) parser.fail(parser.peek(), 'the end of the path (a value filter follows an attribute, not a sub-attribute)')
  const filter = parser.parseBracketFilter()
  let subAttribute: string | undefined
  const after = parser.peek()
  if (after.type === 'word' && after.text.startsWith('.')) {
    parser.next()
    const sub = parseAttributePathText(after.text.slice(1), after.pos + 1, ScimError.invalidPath)
    if (sub.subAttribute !== undefined) parser.fail(after, 'one sub-attribute name after "]."')
    subAttribute = sub.attribute
  }
  if (parser.peek().type !== 'end') parser.fail(parser.peek(), 'the end of the path or ".subAttribute"')
  return { attribute: path.attribute, subAttribute, filter }
}

function resolvePathSyntax (resource: ScimResourceSchema, schema: string | undefined, syntax: PathSyntax, text: string): ScimPatchPath {
  const found = findAttribute(resource, schema, syntax.attribute)
  if (found === undefined) throw ScimError.invalidPath(`Unknown attribute in path "${text}" for ${resource.resourceType.name} resources.`)
  const attribute = found.attribute
  const out: { -readonly [K in keyof ScimPatchPath]: ScimPatchPath[K] } = {
    schema: found.schema, attribute: attribute.name, attributeDefinition: attribute
  }
  if (syntax.filter !== undefined) out.filter = resolveFilterForPath(attribute, syntax.filter)
  if (syntax.subAttribute !== undefined) {
    const sub = attribute.type === 'complex' ? findSubAttribute(attribute, syntax.subAttribute) : undefined
    if (sub === undefined) throw ScimError.invalidPath(`Unknown sub-attribute in path "${text}": "${attribute.name}" has no "${syntax.subAttribute}".`)
    out.subAttribute = sub.name
    out.subAttributeDefinition = sub
  }
  return Object.freeze(out)
}

/** Filter problems inside a path are path problems to the client (RFC 7644 §3.5.2: invalidPath). */
function resolveFilterForPath (attribute: ScimAttributeDefinition, filter: ScimFilter): ScimFilter {
  try {
    return resolveElementFilter(attribute, filter)
  } catch (error) {
    if (error instanceof ScimError) throw ScimError.invalidPath(error.detail)
    throw error
  }
}
