/**
 * The change feed under /api/v1 (outside the SCIM namespace: it is not a SCIM resource
 * type): pages of events and their live stream, with the organization's tokens and scope
 * events:read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { EventResourceType } from '../../repositories/event.repository.js'
import { DEFAULT_EVENT_PAGE, decodeEventCursor, MAX_EVENT_PAGE, readEventFilter } from '../../services/event-feed.service.js'
import type { Services } from '../../services/services.js'
import type { EventStreams } from '../event-stream.js'
import { organizationOf } from '../plugins/auth.js'

interface FeedQuery {
  after?: string
  resourceType?: EventResourceType
  resourceId?: string
  limit?: number
}

const tags = ['events']
const nullableString = { type: ['string', 'null'] } as const
const stringList = { type: 'array', items: { type: 'string' } } as const

const FILTER_PROPERTIES = {
  resourceType: { type: 'string', enum: ['User', 'Group'], description: 'Only events of this resource type' },
  resourceId: { type: 'string', maxLength: 200, description: 'Only events of this resource (its history)' }
} as const

export const CHANGE_EVENT_SCHEMA = {
  type: 'object',
  required: ['cursor', 'sequence', 'time', 'resourceType', 'resourceId', 'operation', 'attributes', 'actor', 'requestId'],
  properties: {
    cursor: { type: 'string', description: 'Opaque position right after this event (also the SSE event id)' },
    sequence: { type: 'string', description: 'Increasing per organization (decimal); gaps are possible' },
    time: { type: 'string', format: 'date-time' },
    resourceType: { type: 'string', enum: ['User', 'Group'] },
    resourceId: { type: 'string' },
    operation: { type: 'string', enum: ['create', 'replace', 'patch', 'delete'] },
    version: { type: 'string', description: 'The resource\'s ETag (meta.version) after the change; absent after a delete' },
    attributes: { ...stringList, description: 'Top-level attributes the change set or removed' },
    members: {
      type: 'object',
      description: 'Groups only: member ids added and removed (at most 1000 of each per event; larger changes are consecutive events)',
      required: ['added', 'removed'],
      properties: { added: stringList, removed: stringList }
    },
    actor: {
      type: 'object',
      required: ['tokenId', 'label'],
      properties: { tokenId: nullableString, label: nullableString },
      description: 'The API token that made the change, and its label at the time'
    },
    requestId: { ...nullableString, description: 'The request id (X-Request-Id) of the change' }
  }
} as const

export function registerEventRoutes (scope: FastifyInstance, services: Services, streams: EventStreams): void {
  const feed = services.events

  scope.get<{ Querystring: FeedQuery }>('/events', {
    config: { scope: 'events:read' },
    schema: {
      tags,
      summary: 'Changes of users and groups, oldest first, paged by an opaque cursor',
      description: 'Every committed change of a user or group of the token\'s organization, in feed order (each user\'s and group\'s changes in the order they were made). ' +
        'Start without `after`, then pass `nextCursor`; an empty page keeps the same cursor, so polling with it never misses ' +
        'an event. With `resourceId`, the history of one user or group.',
      querystring: {
        type: 'object',
        properties: {
          after: { type: 'string', maxLength: 100, description: 'nextCursor of the previous page (or an event\'s cursor)' },
          ...FILTER_PROPERTIES,
          limit: { type: 'integer', minimum: 1, maximum: MAX_EVENT_PAGE, default: DEFAULT_EVENT_PAGE }
        },
        additionalProperties: false
      },
      response: {
        200: {
          type: 'object',
          required: ['events', 'nextCursor', 'hasMore'],
          properties: {
            events: { type: 'array', items: CHANGE_EVENT_SCHEMA },
            nextCursor: { type: 'string' },
            hasMore: { type: 'boolean', description: 'The page is full: ask again with nextCursor at once' }
          }
        }
      }
    }
  }, async (request: FastifyRequest<{ Querystring: FeedQuery }>) => {
    return await feed.page(organizationOf(request).id, request.query)
  })

  scope.get<{ Querystring: FeedQuery }>('/events/stream', {
    config: { scope: 'events:read' },
    schema: {
      tags,
      summary: 'The same changes live, as Server-Sent Events (text/event-stream)',
      description: 'Each SSE event (type `change`) carries one change as JSON, its `id` being the change\'s cursor. Reconnect with ' +
        '`Last-Event-ID` (or `after`) to resume after the last change received; without either the stream starts with the next ' +
        'change. Comment lines are sent while idle.',
      querystring: {
        type: 'object',
        properties: { after: { type: 'string', maxLength: 100, description: 'Resume after this cursor' }, ...FILTER_PROPERTIES },
        additionalProperties: false
      },
      headers: {
        type: 'object',
        properties: { 'last-event-id': { type: 'string', maxLength: 100, description: 'Resume after this cursor (sent by EventSource)' } }
      }
    }
  }, async (request, reply) => {
    const organizationId = organizationOf(request).id
    const filter = readEventFilter(request.query)
    const resumeFrom = request.headers['last-event-id'] ?? request.query.after
    const after = typeof resumeFrom === 'string' && resumeFrom !== '' ? decodeEventCursor(resumeFrom) : await feed.latest(organizationId)
    // HEAD: the headers a GET would get, and no stream.
    if (request.method === 'HEAD') return await reply.type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').send()
    await streams.serve(reply, organizationId, after, filter)
  })
}
