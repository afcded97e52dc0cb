/**
 * The OpenAPI document is generated from the route schemas by @fastify/swagger, committed
 * under openapi/ (a test fails when it is stale), and served as JSON with browsable docs.
 * Resource schemas come from the registry (openapi-schemas.ts); routes name them in
 * `scimResponses`, turned here into OpenAPI responses.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { declarePublicRoutes } from './auth.js'
import { isTokenScope } from '../../services/token-scopes.js'
import { OPENAPI_COMPONENT_SCHEMAS } from '../openapi-schemas.js'
import { REQUEST_BODY_COMPONENTS } from '../route-schemas.js'
import { JSON_MEDIA_TYPES } from '../scim-media.js'

const SCIM_MEDIA_TYPE = JSON_MEDIA_TYPES[0]

const DESCRIPTIONS: Record<string, string> = {
  200: 'OK', 201: 'Created', 204: 'No content', 304: 'Not modified (If-None-Match)', 400: 'Invalid request (SCIM error)',
  401: 'Missing, invalid, revoked or expired token', 403: 'The token lacks the scope this operation needs', 404: 'Not found', 409: 'Uniqueness conflict', 412: 'If-Match does not match', 413: 'Payload too large'
}

type Schema = Record<string, unknown>

function toResponses (scimResponses: Record<string, string | null>): Schema {
  return Object.fromEntries(Object.entries(scimResponses).map(([status, component]) => [
    status,
    component === null
      ? { description: DESCRIPTIONS[status] ?? status, type: 'null' }
      : { description: DESCRIPTIONS[status] ?? status, $ref: `#/components/schemas/${component}` }
  ]))
}

/**
 * Component schemas and request bodies are added to the finished document: the generator's
 * reference resolver would walk into SCIM's own attribute named `$ref` (members.$ref) and
 * take it for a JSON reference.
 */
function completeDocument (document: Schema): Schema {
  const components = (document.components ?? {}) as Schema
  document.components = { ...components, schemas: OPENAPI_COMPONENT_SCHEMAS }
  const paths = (document.paths ?? {}) as Record<string, Record<string, Schema>>
  for (const [key, component] of Object.entries(REQUEST_BODY_COMPONENTS)) {
    const [method, url] = key.split(' ') as [string, string]
    const operation = paths[url]?.[method.toLowerCase()]
    if (operation === undefined) continue
    operation.requestBody = { required: true, content: { [SCIM_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${component}` } } } }
  }
  return document
}

export async function registerOpenApi (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SCIM 2.0 identity service',
        version: '1.0.0',
        description: 'Users and groups of many organizations, provisioned over SCIM 2.0 (RFC 7643, RFC 7644). ' +
          'Only customer users can be group members.'
      },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token of one organization, with scopes. Each operation lists the scope it needs ' +
              '(OpenAPI 3.1 role names): scim:read (GET, .search, discovery), scim:write (every SCIM method and /Bulk; ' +
              'implies scim:read), events:read (the change feed), events:manage (webhook receivers; implies events:read). ' +
              'A token without the scope gets 403 with WWW-Authenticate: Bearer error="insufficient_scope" (RFC 6750 §3.1).'
          }
        }
      }
    },
    transform: ({ schema, url, route }) => {
      const { scimResponses, ...rest } = (schema ?? {}) as Schema & { scimResponses?: Record<string, string | null> }
      const scope = route.config?.scope
      const secured: Schema = isTokenScope(scope) ? { ...rest, security: [{ bearerAuth: [scope] }] } : rest
      if (scimResponses === undefined) return { schema: secured, url }
      const responses = isTokenScope(scope) ? { ...scimResponses, 401: 'Error', 403: 'Error' } : scimResponses
      const documented: Schema = { ...secured, response: toResponses(responses), produces: [SCIM_MEDIA_TYPE] }
      delete documented.body
      return { schema: documented, url }
    },
    transformObject: document => completeDocument(('openapiObject' in document ? document.openapiObject : document.swaggerObject) as Schema)
  })
  // The documentation is public, like the document it shows.
  await app.register(async docs => {
    declarePublicRoutes(docs)
    await docs.register(swaggerUi, { routePrefix: '/docs' })
  })
  app.get('/openapi.json', { config: { scope: 'public' }, schema: { hide: true } }, async () => app.swagger())
}
