/**
 * The OpenAPI document is generated from the route schemas by @fastify/swagger, committed
 * under openapi/ (a test fails when it is stale), and served as JSON with browsable docs.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'

export async function registerOpenApi (app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SCIM 2.0 identity service',
        version: '1.0.0',
        description: 'Users and groups of many organizations, provisioned over SCIM 2.0 (RFC 7643, RFC 7644).'
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token of one organization.' }
        }
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}
