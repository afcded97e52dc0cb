/** Groups use cases: transactions, If-Match, validation, writes. */
import type { Config } from '../config.js'
import type { Db } from '../db/database.js'

export class GroupService {
  constructor (protected readonly db: Db, protected readonly config: Config) {}
}
