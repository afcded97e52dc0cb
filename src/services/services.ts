/**
 * The composition root of the domain: every service is built here from the database and
 * configuration, and handed to the HTTP layer as one object.
 */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'
import { TokenService } from './token.service.js'

export interface Services {
  readonly tokens: TokenService
}

export function createServices (db: Db, _config: Config): Services {
  return {
    tokens: new TokenService(db)
  }
}
