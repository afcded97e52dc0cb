/**
 * The one schema registry: which resources exist, which schemas they are made of, and
 * case-insensitive lookups of attributes by name. Discovery, validation, projection, the
 * filter/PATCH paths and the sort allow-list all read from here (STYLE.md: nothing lists
 * attributes twice).
 */
import { COMMON_ATTRIBUTES } from './common.js'
import { ENTERPRISE_USER_SCHEMA_DEFINITION, ENTERPRISE_USER_SCHEMA_URN } from './enterprise-user.schema.js'
import { GROUP_SCHEMA_DEFINITION, GROUP_SCHEMA_URN } from './group.schema.js'
import { USER_SCHEMA_DEFINITION, USER_SCHEMA_URN } from './user.schema.js'
import type { ScimAttributeDefinition, ScimResourceTypeDefinition, ScimSchemaDefinition } from './types.js'

export { COMMON_ATTRIBUTES } from './common.js'
export { DEFAULT_USER_TYPE } from './user.schema.js'

export const USER_SCHEMA = USER_SCHEMA_URN
export const ENTERPRISE_USER_SCHEMA = ENTERPRISE_USER_SCHEMA_URN
export const GROUP_SCHEMA = GROUP_SCHEMA_URN
// RFC 7644 §3.4.2, §3.12, §3.5.2, §3.4.3, §3.7 and RFC 7643 §5–§7 message and discovery schemas.
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse'
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'
export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest'
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest'
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse'
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

export interface ScimResourceSchema {
  readonly resourceType: ScimResourceTypeDefinition
  readonly core: ScimSchemaDefinition
  readonly extensions: readonly ScimSchemaDefinition[]
}

export const USER_RESOURCE: ScimResourceSchema = Object.freeze({
  resourceType: Object.freeze({
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: USER_SCHEMA,
    schemaExtensions: Object.freeze([Object.freeze({ schema: ENTERPRISE_USER_SCHEMA, required: false })])
  }),
  core: USER_SCHEMA_DEFINITION,
  extensions: Object.freeze([ENTERPRISE_USER_SCHEMA_DEFINITION])
})

export const GROUP_RESOURCE: ScimResourceSchema = Object.freeze({
  resourceType: Object.freeze({
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group',
    schema: GROUP_SCHEMA,
    schemaExtensions: Object.freeze([])
  }),
  core: GROUP_SCHEMA_DEFINITION,
  extensions: Object.freeze([])
})

export const RESOURCE_SCHEMAS: readonly ScimResourceSchema[] = Object.freeze([USER_RESOURCE, GROUP_RESOURCE])

export const ALL_SCHEMAS: readonly ScimSchemaDefinition[] = Object.freeze([
  USER_SCHEMA_DEFINITION, ENTERPRISE_USER_SCHEMA_DEFINITION, GROUP_SCHEMA_DEFINITION
])

const equalsIgnoreCase = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/*
 * Lookups by name run for every key of every request body, filter and PATCH path, so each list
 * of definitions gets its lowercase-name index once (definitions are frozen constants; weakly
 * held, so a resource type built for one use leaves nothing behind).
 */
const nameIndexes = new WeakMap<readonly ScimAttributeDefinition[], ReadonlyMap<string, ScimAttributeDefinition>>()

const NO_ATTRIBUTES: readonly ScimAttributeDefinition[] = Object.freeze([])

/** Case-insensitive lookup of an attribute by name in one list of definitions. */
export function findAttributeByName (attributes: readonly ScimAttributeDefinition[], name: string): ScimAttributeDefinition | undefined {
  let index = nameIndexes.get(attributes)
  if (index === undefined) {
    const byName = new Map<string, ScimAttributeDefinition>()
    for (const attribute of attributes) {
      const lower = attribute.name.toLowerCase()
      // The first definition of a name wins, as a search in order would find it.
      if (!byName.has(lower)) byName.set(lower, attribute)
    }
    nameIndexes.set(attributes, index = byName)
  }
  return index.get(name.toLowerCase())
}

const corePools = new WeakMap<ScimResourceSchema, readonly ScimAttributeDefinition[]>()

/** The common attributes (id, externalId, meta), then the core schema's: the top level of a resource. */
export function topLevelAttributes (resource: ScimResourceSchema): readonly ScimAttributeDefinition[] {
  let pool = corePools.get(resource)
  if (pool === undefined) corePools.set(resource, pool = Object.freeze([...COMMON_ATTRIBUTES, ...resource.core.attributes]))
  return pool
}

/** Case-insensitive: is this URN one of the resource's schemas (core or extension)? Returns the canonical URN. */
export function findSchemaUri (resource: ScimResourceSchema, uri: string): string | undefined {
  return resourceSchemaUris(resource).find(u => equalsIgnoreCase(u, uri))
}

/** The core URN first, then the extension URNs. */
export function resourceSchemaUris (resource: ScimResourceSchema): string[] {
  return [resource.core.id, ...resource.extensions.map(e => e.id)]
}

/** The extension definition for a (case-insensitive) URN, if the resource has it. */
export function findExtension (resource: ScimResourceSchema, uri: string): ScimSchemaDefinition | undefined {
  return resource.extensions.find(e => equalsIgnoreCase(e.id, uri))
}

/**
 * Case-insensitive lookup of a top-level attribute. `schemaUri` undefined means common
 * attributes, then the core schema (RFC 7644 §3.10). Common attributes are reported under
 * the core schema URN. An unknown `schemaUri` finds nothing.
 */
export function findAttribute (
  resource: ScimResourceSchema,
  schemaUri: string | undefined,
  name: string
): { schema: string, attribute: ScimAttributeDefinition } | undefined {
  const schema = schemaUri === undefined ? resource.core.id : findSchemaUri(resource, schemaUri)
  if (schema === undefined) return undefined
  const pool = schema === resource.core.id
    ? topLevelAttributes(resource)
    : findExtension(resource, schema)?.attributes ?? NO_ATTRIBUTES
  const attribute = findAttributeByName(pool, name)
  return attribute === undefined ? undefined : { schema, attribute }
}

export function findSubAttribute (attribute: ScimAttributeDefinition, name: string): ScimAttributeDefinition | undefined {
  return findAttributeByName(attribute.subAttributes ?? NO_ATTRIBUTES, name)
}

/** The resource's schema URNs, longest first, with their lowercase forms (built once per type). */
const prefixLists = new WeakMap<ScimResourceSchema, ReadonlyArray<{ readonly uri: string, readonly lower: string }>>()

/**
 * Splits a possibly URN-qualified attribute string into its schema URN and the rest, e.g.
 * `urn:…:enterprise:2.0:User:manager.value` → (enterprise URN, `manager.value`). URNs contain
 * colons and dots, so only the resource's known URNs are recognised (case-insensitively,
 * longest first). A bare URN gives `rest: ''`. Anything else: `{ schema: undefined, rest: text }`.
 */
export function splitUrnPrefix (resource: ScimResourceSchema, text: string): { schema: string | undefined, rest: string } {
  const lower = text.toLowerCase()
  let uris = prefixLists.get(resource)
  if (uris === undefined) {
    uris = resourceSchemaUris(resource).sort((a, b) => b.length - a.length).map(uri => ({ uri, lower: uri.toLowerCase() }))
    prefixLists.set(resource, uris)
  }
  for (const { uri, lower: u } of uris) {
    if (lower === u) return { schema: uri, rest: '' }
    if (lower.startsWith(u + ':')) return { schema: uri, rest: text.slice(u.length + 1) }
  }
  return { schema: undefined, rest: text }
}

/** A resolved simple attribute name (no filters): `name`, `name.givenName`, `urn:…:manager.value`. */
export interface ScimResolvedAttribute {
  /** Canonical URN of the schema holding the attribute (core URN for id/externalId/meta). */
  readonly schema: string
  readonly attribute: ScimAttributeDefinition
  readonly subAttribute: ScimAttributeDefinition | undefined
  /** Canonical-case path: core attributes unqualified, extension attributes URN-qualified. */
  readonly path: string
}

/**
 * Resolves `attr`, `attr.sub`, or either prefixed by a schema URN (RFC 7644 §3.10) to its
 * definitions and canonical path. Returns undefined for unknown names or deeper nesting.
 */
export function resolveAttributeName (resource: ScimResourceSchema, text: string): ScimResolvedAttribute | undefined {
  const { schema: prefix, rest } = splitUrnPrefix(resource, text)
  const parts = rest.split('.')
  if (parts.length > 2 || parts[0] === '') return undefined
  const found = findAttribute(resource, prefix, parts[0] as string)
  if (found === undefined) return undefined
  let subAttribute: ScimAttributeDefinition | undefined
  if (parts.length === 2) {
    subAttribute = findSubAttribute(found.attribute, parts[1] as string)
    if (subAttribute === undefined) return undefined
  }
  const local = subAttribute === undefined ? found.attribute.name : `${found.attribute.name}.${subAttribute.name}`
  const path = found.schema === resource.core.id ? local : `${found.schema}:${local}`
  return { schema: found.schema, attribute: found.attribute, subAttribute, path }
}

/**
 * Sort allow-list rule (RFC 7644 §3.4.2.3 leaves the choice to the provider): singular
 * simple attributes and singular sub-attributes of singular complex attributes; never
 * multi-valued ones (no defined order) and never `returned: never` ones (password).
 */
export function isSortable (resolved: Pick<ScimResolvedAttribute, 'attribute' | 'subAttribute'>): boolean {
  const { attribute, subAttribute } = resolved
  if (attribute.multiValued || attribute.returned === 'never') return false
  if (subAttribute === undefined) return attribute.type !== 'complex'
  return !subAttribute.multiValued && subAttribute.type !== 'complex' && subAttribute.returned !== 'never'
}

/** Every sortable canonical path of a resource (for the repository's sort allow-list). */
export function listSortablePaths (resource: ScimResourceSchema): string[] {
  const paths: string[] = []
  const schemas: Array<[string, readonly ScimAttributeDefinition[]]> = [
    [resource.core.id, [...COMMON_ATTRIBUTES, ...resource.core.attributes]],
    ...resource.extensions.map((e): [string, readonly ScimAttributeDefinition[]] => [e.id, e.attributes])
  ]
  for (const [schema, attributes] of schemas) {
    const prefix = schema === resource.core.id ? '' : `${schema}:`
    for (const attribute of attributes) {
      if (isSortable({ attribute, subAttribute: undefined })) paths.push(prefix + attribute.name)
      for (const sub of attribute.subAttributes ?? []) {
        if (isSortable({ attribute, subAttribute: sub })) paths.push(`${prefix}${attribute.name}.${sub.name}`)
      }
    }
  }
  return paths
}

/** Case-insensitive lookup of a resource by resource type name (`User`, `Group`). */
export function findResourceSchema (resourceTypeName: string): ScimResourceSchema | undefined {
  return RESOURCE_SCHEMAS.find(r => equalsIgnoreCase(r.resourceType.name, resourceTypeName))
}
