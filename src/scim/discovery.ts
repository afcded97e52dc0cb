/**
 * Discovery documents built from the registry: /Schemas (RFC 7643 §7), /ResourceTypes (§6)
 * and /ServiceProviderConfig (§5, plus the RFC 9865 `pagination` object). Pure functions;
 * the HTTP layer serves them. No `null` anywhere: optional keys are left out.
 */
import {
  ALL_SCHEMAS, RESOURCE_SCHEMAS, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA
} from './schema/registry.js'
import type { ScimAttributeDefinition, ScimSchemaDefinition } from './schema/types.js'

export interface ScimServiceProviderFeatures {
  readonly patch: boolean
  readonly bulk: { readonly supported: boolean, readonly maxOperations: number, readonly maxPayloadSize: number }
  readonly filter: { readonly supported: boolean, readonly maxResults: number }
  readonly changePassword: boolean
  readonly sort: boolean
  readonly etag: boolean
  readonly pagination?: {
    readonly cursor: boolean
    readonly index: boolean
    readonly defaultPaginationMethod: 'cursor' | 'index'
    readonly defaultPageSize: number
    readonly maxPageSize: number
    /** Seconds a cursor stays valid. */
    readonly cursorTimeout: number
  }
  /** RFC 9967 §4: the SCIM events this service issues as SETs (absent: none). */
  readonly securityEvents?: {
    /** Asynchronous request completion (RFC 9967's asyncRequest); this service answers every request synchronously. */
    readonly asyncRequest: 'none'
    readonly eventUris: readonly string[]
  }
  /** Optional link to human documentation. */
  readonly documentationUri?: string
}

const trimBase = (baseUrl: string): string => baseUrl.replace(/\/+$/, '')

/** RFC 7643 §7: every characteristic spelled out, camelCase, sub-attributes nested. */
export function describeAttribute (attribute: ScimAttributeDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: attribute.description,
    required: attribute.required,
    caseExact: attribute.caseExact,
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness
  }
  if (attribute.canonicalValues !== undefined) out.canonicalValues = [...attribute.canonicalValues]
  if (attribute.type === 'reference') out.referenceTypes = [...(attribute.referenceTypes ?? ['external'])]
  if (attribute.subAttributes !== undefined) out.subAttributes = attribute.subAttributes.map(describeAttribute)
  return out
}

export function buildSchemaDocument (baseUrl: string, schema: ScimSchemaDefinition): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(describeAttribute),
    meta: { resourceType: 'Schema', location: `${trimBase(baseUrl)}/Schemas/${schema.id}` }
  }
}

export function buildSchemasDocuments (baseUrl: string): Array<Record<string, unknown>> {
  return ALL_SCHEMAS.map(schema => buildSchemaDocument(baseUrl, schema))
}

export function buildResourceTypes (baseUrl: string): Array<Record<string, unknown>> {
  return RESOURCE_SCHEMAS.map(({ resourceType }) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: resourceType.id,
    name: resourceType.name,
    endpoint: resourceType.endpoint,
    description: resourceType.description,
    schema: resourceType.schema,
    schemaExtensions: resourceType.schemaExtensions.map(e => ({ schema: e.schema, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${trimBase(baseUrl)}/ResourceTypes/${resourceType.id}` }
  }))
}

export function buildServiceProviderConfig (baseUrl: string, features: ScimServiceProviderFeatures): Record<string, unknown> {
  const config: Record<string, unknown> = { schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA] }
  if (features.documentationUri !== undefined) config.documentationUri = features.documentationUri
  Object.assign(config, {
    patch: { supported: features.patch },
    bulk: { ...features.bulk },
    filter: { ...features.filter },
    changePassword: { supported: features.changePassword },
    sort: { supported: features.sort },
    etag: { supported: features.etag },
    // RFC 7643 §5: the bearer token scheme every provisioning client here uses.
    authenticationSchemes: [{
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'Authentication with a bearer token in the Authorization header.',
      specUri: 'https://www.rfc-editor.org/info/rfc6750',
      primary: true
    }]
  })
  if (features.pagination !== undefined) config.pagination = { ...features.pagination }
  if (features.securityEvents !== undefined) {
    config.securityEvents = { asyncRequest: features.securityEvents.asyncRequest, eventUris: [...features.securityEvents.eventUris] }
  }
  config.meta = { resourceType: 'ServiceProviderConfig', location: `${trimBase(baseUrl)}/ServiceProviderConfig` }
  return config
}
