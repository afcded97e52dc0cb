/**
 * Attribute and schema definitions as RFC 7643 §7 describes them. The registry built from
 * these drives discovery, validation, projection, filtering, sorting and PATCH.
 */

export type ScimAttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'binary'
  | 'reference'
  | 'complex'

export type ScimMutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly'
export type ScimReturned = 'always' | 'never' | 'default' | 'request'
export type ScimUniqueness = 'none' | 'server' | 'global'

export interface ScimAttributeDefinition {
  readonly name: string
  readonly type: ScimAttributeType
  readonly multiValued: boolean
  readonly description: string
  readonly required: boolean
  readonly caseExact: boolean
  readonly mutability: ScimMutability
  readonly returned: ScimReturned
  readonly uniqueness: ScimUniqueness
  readonly canonicalValues?: readonly string[]
  readonly referenceTypes?: readonly string[]
  readonly subAttributes?: readonly ScimAttributeDefinition[]
}

export interface ScimSchemaDefinition {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly attributes: readonly ScimAttributeDefinition[]
}

export interface ScimSchemaExtensionRef {
  readonly schema: string
  readonly required: boolean
}

export interface ScimResourceTypeDefinition {
  /** `User` or `Group`. */
  readonly id: string
  readonly name: string
  /** Endpoint relative to the SCIM base, e.g. `/Users`. */
  readonly endpoint: string
  readonly description: string
  readonly schema: string
  readonly schemaExtensions: readonly ScimSchemaExtensionRef[]
}
