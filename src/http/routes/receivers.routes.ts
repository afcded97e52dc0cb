/**
 * Push receivers (scope events:manage) and the organizations' public signing keys (public:
 * any receiver must be able to verify a SET without credentials of ours).
 */
import type { FastifyInstance } from 'fastify'
import type { Services } from '../../services/services.js'
import { organizationOf } from '../plugins/auth.js'

const tags = ['events']
const ID_PARAMS = { type: 'object', properties: { id: { type: 'string', maxLength: 200 } }, required: ['id'] } as const

const RECEIVER_SCHEMA = {
  type: 'object',
  required: ['id', 'url', 'audience', 'state', 'createdAt', 'pending', 'rejected', 'issuer', 'jwksUri'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string', description: 'Where SETs are POSTed (RFC 8935)' },
    audience: { type: 'string', description: 'The SETs\' `aud` (the URL unless set)' },
    state: { type: 'string', enum: ['active', 'failing'], description: 'failing: attempts ran out; nothing is pushed until enabled' },
    createdAt: { type: 'string', format: 'date-time' },
    failingSince: { type: 'string', format: 'date-time' },
    lastError: { type: 'string', description: 'The last failure or refusal, as the receiver or the network told it' },
    pending: { type: 'integer', description: 'Events waiting for delivery' },
    rejected: { type: 'integer', description: 'Events the receiver refused with an RFC 8935 error (not sent again)' },
    issuer: { type: 'string', description: 'The `iss` of the SETs' },
    jwksUri: { type: 'string', description: 'The JWKS with the keys that sign them' }
  }
} as const

export function registerReceiverRoutes (scope: FastifyInstance, services: Services): void {
  const receivers = services.receivers

  scope.post<{ Body: { url: string, audience?: string } }>('/receivers', {
    config: { scope: 'events:manage' },
    schema: {
      tags,
      summary: 'Register a push receiver: every later change is POSTed to it as a signed Security Event Token',
      body: {
        type: 'object',
        required: ['url'],
        properties: { url: { type: 'string', maxLength: 2000 }, audience: { type: 'string', maxLength: 500 } },
        additionalProperties: false
      },
      response: { 201: RECEIVER_SCHEMA }
    }
  }, async (request, reply) => {
    return await reply.code(201).send(await receivers.register(organizationOf(request).id, request.body))
  })

  scope.get('/receivers', {
    config: { scope: 'events:manage' },
    schema: {
      tags,
      summary: 'The organization\'s push receivers with their queues',
      response: { 200: { type: 'object', required: ['receivers'], properties: { receivers: { type: 'array', items: RECEIVER_SCHEMA } } } }
    }
  }, async request => ({ receivers: await receivers.list(organizationOf(request).id) }))

  scope.get<{ Params: { id: string } }>('/receivers/:id', {
    config: { scope: 'events:manage' },
    schema: { tags, summary: 'One push receiver', params: ID_PARAMS, response: { 200: RECEIVER_SCHEMA } }
  }, async request => await receivers.get(organizationOf(request).id, request.params.id))

  scope.post<{ Params: { id: string } }>('/receivers/:id/enable', {
    config: { scope: 'events:manage' },
    schema: { tags, summary: 'Resume pushing to a failing receiver (what waited goes out first)', params: ID_PARAMS, response: { 200: RECEIVER_SCHEMA } }
  }, async request => await receivers.enable(organizationOf(request).id, request.params.id))

  scope.delete<{ Params: { id: string } }>('/receivers/:id', {
    config: { scope: 'events:manage' },
    schema: { tags, summary: 'Remove a push receiver and its queue', params: ID_PARAMS }
  }, async (request, reply) => {
    await receivers.remove(organizationOf(request).id, request.params.id)
    return await reply.code(204).send()
  })

  scope.get<{ Params: { organizationId: string } }>('/organizations/:organizationId/jwks.json', {
    config: { scope: 'public' },
    schema: {
      tags,
      summary: 'The public keys (JWKS, RFC 7517) that sign the organization\'s SETs; their `iss` is this URL without /jwks.json',
      params: { type: 'object', properties: { organizationId: { type: 'string', maxLength: 200 } }, required: ['organizationId'] }
    }
  }, async (request, reply) => {
    const jwks = await services.keys.publishedKeys(request.params.organizationId)
    return await reply.type('application/jwk-set+json').header('cache-control', 'public, max-age=300').send(jwks)
  })
}
