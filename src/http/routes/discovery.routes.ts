/**
 * Discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes, /Schemas, all generated
 * from the schema registry and the configuration, so they advertise only what works.
 *
 * They sit behind the same bearer authentication as everything else under /scim/v2: every
 * provisioning client we serve (Entra, Okta, OneLogin, the conformance collection) sends
 * its token on discovery too, and one authentication boundary is simpler to reason about.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Config } from '../../config.js'
import { CURSOR_TIMEOUT_SECONDS } from '../../scim/cursor.js'
import { buildResourceTypes, buildSchemasDocuments, buildServiceProviderConfig } from '../../scim/discovery.js'
import { ScimError } from '../../scim/errors.js'
import { SCIM_EVENT_URIS } from '../../scim/security-event.js'
import { buildListResponse } from '../../scim/list-params.js'
import { scimBaseUrl } from '../base-url.js'
import type { ScimRouteContext } from './scim.routes.js'

type Documents = Array<Record<string, unknown>>

/** RFC 7644 §4: a filter on discovery endpoints is answered 403, never silently ignored. */
function refuseFilter (request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined
  if (query?.filter !== undefined) throw ScimError.forbidden('Filtering is not supported on discovery endpoints (RFC 7644 §4).')
}

function listOf (documents: Documents) {
  return buildListResponse(documents, { totalResults: documents.length, startIndex: 1, itemsPerPage: documents.length })
}

function findById (documents: Documents, id: string, what: string): Record<string, unknown> {
  const found = documents.find(doc => String(doc.id).toLowerCase() === id.toLowerCase())
  if (found === undefined) throw ScimError.notFound(`No ${what} "${id}".`)
  return found
}

export function serviceProviderFeatures (config: Config) {
  return {
    patch: true,
    bulk: { supported: true, maxOperations: config.bulkMaxOperations, maxPayloadSize: config.bulkMaxPayloadBytes },
    filter: { supported: true, maxResults: config.maxPageSize },
    changePassword: false,
    sort: true,
    etag: true,
    // RFC 9865: both index (startIndex) and cursor paging work on /Users, /Groups and the
    // root-level queries (GET / and POST /.search), with the same page sizes.
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index' as const,
      defaultPageSize: config.defaultPageSize,
      maxPageSize: config.maxPageSize,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS
    },
    // RFC 9967: every change is pushed as a SET to registered receivers, which needs
    // PUBLIC_BASE_URL (the SETs' issuer); without it no SET is issued and none is advertised.
    ...(config.publicBaseUrl !== undefined ? { securityEvents: { asyncRequest: 'none' as const, eventUris: Object.values(SCIM_EVENT_URIS) } } : {})
  }
}

export function registerDiscoveryRoutes (scope: FastifyInstance, { config }: ScimRouteContext): void {
  const base = (request: FastifyRequest) => scimBaseUrl(request, config)
  const tags = ['discovery']

  scope.get('/ServiceProviderConfig', { config: { scope: 'scim:read' }, schema: { tags, summary: 'Features this service supports' } }, async request => {
    refuseFilter(request)
    return buildServiceProviderConfig(base(request), serviceProviderFeatures(config))
  })
  scope.get('/ResourceTypes', { config: { scope: 'scim:read' }, schema: { tags, summary: 'Resource types (User, Group)' } }, async request => {
    refuseFilter(request)
    return listOf(buildResourceTypes(base(request)))
  })
  scope.get<{ Params: { name: string } }>('/ResourceTypes/:name', { config: { scope: 'scim:read' }, schema: { tags, summary: 'One resource type' } }, async request => {
    return findById(buildResourceTypes(base(request)), request.params.name, 'resource type')
  })
  scope.get('/Schemas', { config: { scope: 'scim:read' }, schema: { tags, summary: 'Schemas of the resources' } }, async request => {
    refuseFilter(request)
    return listOf(buildSchemasDocuments(base(request)))
  })
  scope.get<{ Params: { urn: string } }>('/Schemas/:urn', { config: { scope: 'scim:read' }, schema: { tags, summary: 'One schema, by URN' } }, async request => {
    return findById(buildSchemasDocuments(base(request)), request.params.urn, 'schema')
  })
  // RFC 7644 §3.11: /Me is the authenticated subject's own resource. Tokens here belong to
  // organizations, not to users, so there is no such resource: 501 as the RFC allows.
  scope.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/Me',
    // Any SCIM reader gets the same 501; no method here changes anything.
    config: { scope: 'scim:read' },
    schema: { tags, summary: 'Not supported: tokens belong to organizations, not users' },
    handler: async () => { throw ScimError.notImplemented('/Me is not supported: API tokens belong to an organization, not to a user.') }
  })
}
