/**
 * Route schemas of the resource endpoints. ajv checks only the envelope here (a body must be
 * a JSON object); attributes are checked by the registry-driven validator. The rest documents
 * the route in the OpenAPI document: `scimResponses` names the component schema of each
 * status and is turned into OpenAPI responses by the openapi plugin.
 */

type Schema = Record<string, unknown>

export interface ScimRouteSchema extends Schema {
  readonly tags: readonly string[]
  readonly summary: string
  /** Status → component schema name (see openapi-schemas.ts), or null for no body. */
  readonly scimResponses: Readonly<Record<number, string | null>>
}

/** A JSON object; what is inside is the registry validator's business. */
const OBJECT_BODY: Schema = { type: 'object' }

const ID_PARAMS: Schema = {
  type: 'object',
  properties: { id: { type: 'string', description: 'The resource id' } },
  required: ['id']
}

const text = (description: string): Schema => ({ type: 'string', description })

const PROJECTION_QUERY: Record<string, Schema> = {
  attributes: text('Comma-separated attributes to return (RFC 7644 §3.9)'),
  excludedAttributes: text('Comma-separated attributes to leave out, e.g. members')
}

const LIST_QUERY: Schema = {
  type: 'object',
  properties: {
    filter: text('RFC 7644 §3.4.2.2 filter, e.g. userName eq "ann@example.com"'),
    startIndex: text('1-based index of the first result (index paging)'),
    count: text('Page size'),
    cursor: text('RFC 9865 cursor paging: empty for the first page, then nextCursor'),
    sortBy: text('Attribute to sort by'),
    sortOrder: text('ascending or descending'),
    ...PROJECTION_QUERY
  }
}

const SINGLE_QUERY: Schema = { type: 'object', properties: PROJECTION_QUERY }

const ERRORS = { 400: 'Error', 401: 'Error', 404: 'Error', 409: 'Error', 412: 'Error' } as const

export function resourceRouteSchemas (endpoint: 'Users' | 'Groups', component: 'User' | 'Group', patchStatus: 200 | 204) {
  const tags = [endpoint]
  const route = (summary: string, rest: Schema & { scimResponses: Record<number, string | null> }): ScimRouteSchema => ({ tags, summary, ...rest })
  return {
    list: route(`List or filter ${endpoint}`, { querystring: LIST_QUERY, scimResponses: { 200: 'ListResponse', 400: 'Error', 401: 'Error' } }),
    search: route(`Search ${endpoint} with the parameters in the body (RFC 7644 §3.4.3)`, { body: OBJECT_BODY, scimResponses: { 200: 'ListResponse', 400: 'Error', 401: 'Error' } }),
    create: route(`Create a ${component}`, { querystring: SINGLE_QUERY, body: OBJECT_BODY, scimResponses: { 201: component, ...ERRORS } }),
    get: route(`Get a ${component}`, { params: ID_PARAMS, querystring: SINGLE_QUERY, scimResponses: { 200: component, 304: null, 401: 'Error', 404: 'Error' } }),
    replace: route(`Replace a ${component}`, { params: ID_PARAMS, querystring: SINGLE_QUERY, body: OBJECT_BODY, scimResponses: { 200: component, ...ERRORS } }),
    patch: route(`Modify a ${component} (RFC 7644 §3.5.2)`, {
      params: ID_PARAMS,
      querystring: SINGLE_QUERY,
      body: OBJECT_BODY,
      scimResponses: patchStatus === 204 ? { 204: null, 200: component, ...ERRORS } : { 200: component, ...ERRORS }
    }),
    delete: route(`Delete a ${component}`, { params: ID_PARAMS, scimResponses: { 204: null, 401: 'Error', 404: 'Error', 412: 'Error' } })
  }
}

/** The server root (RFC 7644 §3.4.2.1, §3.4.3): one ListResponse over Users and Groups. */
export const ROOT_ROUTE_SCHEMAS = {
  list: {
    tags: ['Root'],
    summary: 'Query Users and Groups together (RFC 7644 §3.4.2.1); each resource carries its own schemas and meta.resourceType',
    querystring: LIST_QUERY,
    scimResponses: { 200: 'ListResponse', 400: 'Error', 401: 'Error' }
  },
  search: {
    tags: ['Root'],
    summary: 'Search Users and Groups together with the parameters in the body (RFC 7644 §3.4.3)',
    body: OBJECT_BODY,
    scimResponses: { 200: 'ListResponse', 400: 'Error', 401: 'Error' }
  }
} as const satisfies Record<string, ScimRouteSchema>

export const BULK_ROUTE_SCHEMA: ScimRouteSchema = {
  tags: ['Bulk'],
  summary: 'Several operations in one request (RFC 7644 §3.7)',
  body: OBJECT_BODY,
  scimResponses: { 200: 'BulkResponse', 400: 'Error', 401: 'Error', 413: 'Error' }
}

/** OpenAPI request body component for documentation of the routes that take one. */
export const REQUEST_BODY_COMPONENTS: Readonly<Record<string, string>> = {
  'POST /scim/v2/Users': 'User',
  'PUT /scim/v2/Users/{id}': 'User',
  'PATCH /scim/v2/Users/{id}': 'PatchOp',
  'POST /scim/v2/Users/.search': 'SearchRequest',
  'POST /scim/v2/Groups': 'Group',
  'PUT /scim/v2/Groups/{id}': 'Group',
  'PATCH /scim/v2/Groups/{id}': 'PatchOp',
  'POST /scim/v2/Groups/.search': 'SearchRequest',
  'POST /scim/v2/.search': 'SearchRequest',
  'POST /scim/v2/Bulk': 'BulkRequest'
}
