/**
 * Builders for attribute definitions, and the common attributes of RFC 7643 §3.1 that every
 * resource carries (`id`, `externalId`, `meta`). They are defined once here; the registry
 * answers for them under the resource's core schema URN (RFC 7644 §3.10).
 */
import type { ScimAttributeDefinition, ScimAttributeType } from './types.js'

type AttributeOptions = Partial<Omit<ScimAttributeDefinition, 'name' | 'type'>>

/**
 * An attribute with the RFC 7643 §2.2 defaults (not required, not caseExact, readWrite,
 * returned default, uniqueness none, singular) unless overridden.
 */
export function defineAttribute (name: string, type: ScimAttributeType, options: AttributeOptions = {}): ScimAttributeDefinition {
  return Object.freeze({
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options
  })
}

export function defineComplex (name: string, subAttributes: ScimAttributeDefinition[], options: AttributeOptions = {}): ScimAttributeDefinition {
  return defineAttribute(name, 'complex', { ...options, subAttributes: Object.freeze(subAttributes) })
}

/**
 * The usual sub-attributes of a multi-valued attribute (RFC 7643 §2.4): value, display, type,
 * primary. `value` is passed in because its type and characteristics differ per attribute.
 */
export function defineMultiValued (
  name: string,
  description: string,
  value: ScimAttributeDefinition,
  typeValues: readonly string[] | undefined,
  options: AttributeOptions = {}
): ScimAttributeDefinition {
  const sub: ScimAttributeDefinition[] = [
    value,
    defineAttribute('display', 'string', { description: 'A human-readable name, primarily used for display purposes.', mutability: options.mutability ?? 'readWrite' }),
    defineAttribute('type', 'string', {
      description: `A label indicating the attribute's function.`,
      mutability: options.mutability ?? 'readWrite',
      ...(typeValues === undefined ? {} : { canonicalValues: Object.freeze([...typeValues]) })
    }),
    defineAttribute('primary', 'boolean', {
      description: `A Boolean value indicating the 'primary' or preferred attribute value for this attribute.`,
      mutability: options.mutability ?? 'readWrite'
    })
  ]
  return defineComplex(name, sub, { description, multiValued: true, ...options })
}

/** RFC 7643 §3.1: id is assigned by the service provider, always returned, never changed. */
export const ID_ATTRIBUTE = defineAttribute('id', 'string', {
  description: 'Unique identifier for the SCIM resource as defined by the service provider.',
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server'
})

/** RFC 7643 §3.1: externalId is the client's identifier, caseExact, owned by the client. */
export const EXTERNAL_ID_ATTRIBUTE = defineAttribute('externalId', 'string', {
  description: 'A String that is an identifier for the resource as defined by the provisioning client.',
  caseExact: true
})

const readOnlyMeta = { mutability: 'readOnly' } as const

/** RFC 7643 §3.1: meta is entirely service-managed. */
export const META_ATTRIBUTE = defineComplex('meta', [
  defineAttribute('resourceType', 'string', { ...readOnlyMeta, caseExact: true, description: 'The name of the resource type of the resource.' }),
  defineAttribute('created', 'dateTime', { ...readOnlyMeta, description: 'The DateTime that the resource was added to the service provider.' }),
  defineAttribute('lastModified', 'dateTime', { ...readOnlyMeta, description: 'The most recent DateTime that the details of this resource were updated at the service provider.' }),
  defineAttribute('location', 'reference', { ...readOnlyMeta, caseExact: true, referenceTypes: Object.freeze(['uri']), description: 'The URI of the resource being returned.' }),
  defineAttribute('version', 'string', { ...readOnlyMeta, caseExact: true, description: 'The version of the resource being returned (the ETag).' })
], { ...readOnlyMeta, description: 'A complex attribute containing resource metadata.' })

export const COMMON_ATTRIBUTES: readonly ScimAttributeDefinition[] = Object.freeze([ID_ATTRIBUTE, EXTERNAL_ID_ATTRIBUTE, META_ATTRIBUTE])
