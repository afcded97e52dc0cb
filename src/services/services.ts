/**
 * The composition root of the domain: every service is built here from the database and
 * configuration, and handed to the HTTP layer as one object.
 */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { EventFeedService } from './event-feed.service.js'
import { EventPositioner } from './event-positioner.js'
import { EventWakeups } from './event-wakeups.js'
import { GroupService } from './group.service.js'
import { ReceiverService } from './receiver.service.js'
import { SigningKeyService } from './signing-keys.service.js'
import { RootSearchService } from './root-search.service.js'
import { TokenService } from './token.service.js'
import { UserService } from './user.service.js'

export interface Services {
  readonly tokens: TokenService
  readonly users: UserService
  readonly groups: GroupService
  readonly root: RootSearchService
  readonly events: EventFeedService
  /** Gives committed events their feed positions (started and stopped by buildApp). */
  readonly positioner: EventPositioner
  /** Signals that an organization's feed advanced (here, or by Postgres notifications wired by buildApp). */
  readonly wakeups: EventWakeups
  readonly receivers: ReceiverService
  /** The organizations' SET signing keys. */
  readonly keys: SigningKeyService
}

export function createServices (db: Db, config: Config): Services {
  const groups = new GroupService(db, config)
  const wakeups = new EventWakeups()
  const positioner = new EventPositioner(db, wakeups)
  return {
    tokens: new TokenService(db, Date.now, { cacheTtlMs: config.tokenCacheTtlMs }),
    users: new UserService(db, config),
    groups,
    root: new RootSearchService(db, config, groups),
    events: new EventFeedService(db, positioner),
    positioner,
    wakeups,
    receivers: new ReceiverService(db, { publicBaseUrl: config.publicBaseUrl, allowPrivate: config.eventReceiversAllowPrivate }),
    keys: new SigningKeyService(db)
  }
}
