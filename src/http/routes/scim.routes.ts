/**
 * Everything under /scim/v2: SCIM media type on every response. Each route declares the
 * token scope it needs; plugins/auth.ts authenticates and enforces it.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../config.js'
import type { Services } from '../../services/services.js'
import { requireValidHost } from '../base-url.js'
import { registerFairShare } from '../plugins/fair-share.js'
import type { Lifecycle } from '../plugins/shutdown.js'
import type { Metrics } from '../plugins/metrics.js'
import { SCIM_CONTENT_TYPE } from '../scim-media.js'
import { registerBulkRoutes } from './bulk.routes.js'
import { registerDiscoveryRoutes } from './discovery.routes.js'
import { registerGroupRoutes } from './groups.routes.js'
import { registerRootRoutes } from './root.routes.js'
import { registerUserRoutes } from './users.routes.js'

export interface ScimRouteContext {
  readonly config: Config
  readonly services: Services
  readonly lifecycle: Lifecycle
  readonly metrics: Metrics
}

export async function registerScimRoutes (scope: FastifyInstance, context: ScimRouteContext): Promise<void> {
  scope.addHook('onRequest', (_request, reply, done) => { reply.type(SCIM_CONTENT_TYPE); done() })
  requireValidHost(scope, context.config)
  // After authorization (an application-level onRequest hook): the organization is known.
  await registerFairShare(scope, context.config, { onLimited: context.metrics.limited })
  registerDiscoveryRoutes(scope, context)
  registerUserRoutes(scope, context)
  registerGroupRoutes(scope, context)
  registerRootRoutes(scope, context)
  registerBulkRoutes(scope, context)
}
