/**
 * JSON Schemas of the SCIM resources for the OpenAPI document, derived from the schema
 * registry (nothing lists attributes twice). They document; they do not validate: SCIM
 * attribute names are case-insensitive, which JSON Schema cannot express, so requests are
 * checked by the registry-driven validator in src/scim/validate.ts.
 */
import {
  BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA, ERROR_SCHEMA, GROUP_RESOURCE, LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA,
  SEARCH_REQUEST_SCHEMA, USER_RESOURCE, type ScimResourceSchema
} from '../scim/schema/registry.js'
import { COMMON_ATTRIBUTES } from '../scim/schema/common.js'
import type { ScimAttributeDefinition } from '../scim/schema/types.js'

type JsonSchema = Record<string, unknown>

const SCALAR: Record<string, JsonSchema> = {
  string: { type: 'string' },
  boolean: { type: 'boolean' },
  decimal: { type: 'number' },
  integer: { type: 'integer' },
  dateTime: { type: 'string', format: 'date-time' },
  binary: { type: 'string', contentEncoding: 'base64' },
  reference: { type: 'string' }
}

function attributeSchema (attribute: ScimAttributeDefinition): JsonSchema {
  const single: JsonSchema = attribute.type === 'complex'
    ? { type: 'object', properties: propertiesOf(attribute.subAttributes ?? []) }
    : { ...SCALAR[attribute.type] }
  if (attribute.canonicalValues !== undefined && attribute.type !== 'complex') single.examples = [...attribute.canonicalValues]
  const schema: JsonSchema = attribute.multiValued ? { type: 'array', items: single } : single
  if (attribute.description !== '') schema.description = attribute.description
  if (attribute.mutability === 'readOnly') schema.readOnly = true
  if (attribute.mutability === 'writeOnly' || attribute.returned === 'never') schema.writeOnly = true
  return schema
}

function propertiesOf (attributes: readonly ScimAttributeDefinition[]): Record<string, JsonSchema> {
  return Object.fromEntries(attributes.map(a => [a.name, attributeSchema(a)]))
}

function resourceSchema (resource: ScimResourceSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    schemas: { type: 'array', items: { type: 'string' } },
    ...propertiesOf(COMMON_ATTRIBUTES),
    ...propertiesOf(resource.core.attributes)
  }
  for (const extension of resource.extensions) {
    properties[extension.id] = { type: 'object', description: extension.description, properties: propertiesOf(extension.attributes) }
  }
  const required = resource.core.attributes.filter(a => a.required).map(a => a.name)
  return { type: 'object', description: resource.core.description, properties, required }
}

const urnList = (urn: string): JsonSchema => ({ type: 'array', items: { type: 'string' }, examples: [[urn]] })

export const OPENAPI_COMPONENT_SCHEMAS: Record<string, JsonSchema> = {
  User: resourceSchema(USER_RESOURCE),
  Group: resourceSchema(GROUP_RESOURCE),
  ListResponse: {
    type: 'object',
    properties: {
      schemas: urnList(LIST_RESPONSE_SCHEMA),
      totalResults: { type: 'integer' },
      startIndex: { type: 'integer' },
      itemsPerPage: { type: 'integer' },
      nextCursor: { type: 'string', description: 'RFC 9865: cursor of the next page; absent on the last page' },
      previousCursor: { type: 'string', description: 'RFC 9865: cursor of the previous page' },
      Resources: { type: 'array', items: { type: 'object' } }
    },
    required: ['schemas', 'totalResults', 'Resources']
  },
  SearchRequest: {
    type: 'object',
    properties: {
      schemas: urnList(SEARCH_REQUEST_SCHEMA),
      filter: { type: 'string' },
      startIndex: { type: 'integer' },
      count: { type: 'integer' },
      cursor: { type: 'string' },
      sortBy: { type: 'string' },
      sortOrder: { type: 'string', enum: ['ascending', 'descending'] },
      attributes: { type: 'array', items: { type: 'string' } },
      excludedAttributes: { type: 'array', items: { type: 'string' } }
    }
  },
  PatchOp: {
    type: 'object',
    properties: {
      schemas: urnList(PATCH_OP_SCHEMA),
      Operations: {
        type: 'array',
        items: {
          type: 'object',
          properties: { op: { type: 'string', description: 'add, replace or remove (any case)' }, path: { type: 'string' }, value: {} },
          required: ['op']
        }
      }
    },
    required: ['Operations']
  },
  BulkRequest: {
    type: 'object',
    properties: {
      schemas: urnList(BULK_REQUEST_SCHEMA),
      failOnErrors: { type: 'integer' },
      Operations: {
        type: 'array',
        items: {
          type: 'object',
          properties: { method: { type: 'string' }, bulkId: { type: 'string' }, version: { type: 'string' }, path: { type: 'string' }, data: {} },
          required: ['method', 'path']
        }
      }
    },
    required: ['Operations']
  },
  BulkResponse: {
    type: 'object',
    properties: { schemas: urnList(BULK_RESPONSE_SCHEMA), Operations: { type: 'array', items: { type: 'object' } } }
  },
  Error: {
    type: 'object',
    properties: {
      schemas: urnList(ERROR_SCHEMA),
      status: { type: 'string', description: 'HTTP status code as a string' },
      scimType: { type: 'string' },
      detail: { type: 'string' }
    },
    required: ['schemas', 'status']
  }
}
