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
import { DEFAULT_MAX_MULTI_VALUED_VALUES, DEFAULT_PATCH_MAX_OPERATIONS, isCappedMultiValued } from '../scim/limits.js'
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

const LIMIT_NOTE = `At most ${DEFAULT_MAX_MULTI_VALUED_VALUES} values by default (MAX_MULTI_VALUED_VALUES); more is 400 invalidValue.`

/** `resourceId` is set for a resource's top-level attributes, where the value-count limit applies. */
function attributeSchema (attribute: ScimAttributeDefinition, resourceId?: string): JsonSchema {
  const single: JsonSchema = attribute.type === 'complex'
    ? { type: 'object', properties: propertiesOf(attribute.subAttributes ?? []) }
    : { ...SCALAR[attribute.type] }
  if (attribute.canonicalValues !== undefined && attribute.type !== 'complex') single.examples = [...attribute.canonicalValues]
  const schema: JsonSchema = attribute.multiValued ? { type: 'array', items: single } : single
  const capped = resourceId !== undefined && isCappedMultiValued(resourceId, attribute)
  if (capped) schema.maxItems = DEFAULT_MAX_MULTI_VALUED_VALUES
  const description = [attribute.description, capped ? LIMIT_NOTE : ''].filter(text => text !== '').join(' ')
  if (description !== '') schema.description = description
  if (attribute.mutability === 'readOnly') schema.readOnly = true
  if (attribute.mutability === 'writeOnly' || attribute.returned === 'never') schema.writeOnly = true
  return schema
}

function propertiesOf (attributes: readonly ScimAttributeDefinition[], resourceId?: string): Record<string, JsonSchema> {
  return Object.fromEntries(attributes.map(a => [a.name, attributeSchema(a, resourceId)]))
}

function resourceSchema (resource: ScimResourceSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    schemas: { type: 'array', items: { type: 'string' } },
    ...propertiesOf(COMMON_ATTRIBUTES),
    ...propertiesOf(resource.core.attributes, resource.core.id)
  }
  for (const extension of resource.extensions) {
    properties[extension.id] = { type: 'object', description: extension.description, properties: propertiesOf(extension.attributes, resource.core.id) }
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
        maxItems: DEFAULT_PATCH_MAX_OPERATIONS,
        description: `Applied in order, all or nothing. At most ${DEFAULT_PATCH_MAX_OPERATIONS} by default (PATCH_MAX_OPERATIONS); more is 400 tooMany.`,
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
