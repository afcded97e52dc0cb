/**
 * Push receivers of an organization: registered by its administrators (API with scope
 * events:manage, or the admin command), checked for a reachable public address, listed with
 * their queue, enabled again after failing, removed. A receiver gets every event recorded
 * after its registration.
 */
import type { Db } from '../db/database.js'
import { isConstraintViolation } from '../db/constraint-errors.js'
import {
  deleteReceiver, enableReceiver, findReceiver, insertReceiver, listReceivers, type ReceiverRecord
} from '../repositories/receiver.repository.js'
import { ScimError } from '../scim/errors.js'
import { issuerOf, jwksUrlOf } from '../scim/security-event.js'
import { checkReceiverUrl, ReceiverAddressError } from './receiver-address.js'

const MAX_AUDIENCE_LENGTH = 500

export interface ReceiverSettings {
  /** Unset: push delivery is off (the SETs' issuer and JWKS location are built from it). */
  readonly publicBaseUrl: string | undefined
  readonly allowPrivate: boolean
}

/** A receiver as the API and the admin command show it. */
export interface ReceiverView {
  readonly id: string
  readonly organizationId: string
  readonly url: string
  readonly audience: string
  readonly state: 'active' | 'failing'
  readonly createdAt: string
  readonly failingSince?: string
  readonly lastError?: string
  readonly pending: number
  readonly rejected: number
  /** The `iss` of its SETs and where their keys are published. */
  readonly issuer: string
  readonly jwksUri: string
}

export class ReceiverService {
  constructor (private readonly db: Db, private readonly settings: ReceiverSettings) {}

  async register (organizationId: string, input: { url: string, audience?: string }): Promise<ReceiverView> {
    const base = this.requireBase()
    if (input.audience !== undefined && (input.audience === '' || input.audience.length > MAX_AUDIENCE_LENGTH)) {
      throw ScimError.invalidValue(`audience must be 1 to ${MAX_AUDIENCE_LENGTH} characters.`)
    }
    let url: string
    try {
      url = await checkReceiverUrl(input.url, this.settings.allowPrivate)
    } catch (error) {
      if (error instanceof ReceiverAddressError) throw ScimError.invalidValue(error.message)
      throw error
    }
    try {
      return toView(await insertReceiver(this.db, organizationId, url, input.audience ?? null), base)
    } catch (error) {
      if (isConstraintViolation(error, 'event_receivers__organization_id_url__key')) throw ScimError.uniqueness(`A receiver with URL ${url} exists already.`)
      throw error
    }
  }

  /** `organizationId` undefined: every organization's (the admin command). */
  async list (organizationId: string | undefined): Promise<ReceiverView[]> {
    const base = this.settings.publicBaseUrl ?? ''
    return (await listReceivers(this.db, organizationId)).map(record => toView(record, base))
  }

  async get (organizationId: string | undefined, id: string): Promise<ReceiverView> {
    const found = await findReceiver(this.db, organizationId, id)
    if (found === undefined) throw notFound(id)
    return toView(found, this.settings.publicBaseUrl ?? '')
  }

  async remove (organizationId: string | undefined, id: string): Promise<void> {
    if (!await deleteReceiver(this.db, organizationId, id)) throw notFound(id)
  }

  /** Active again; what waited is pushed from now on, with the attempts counted afresh. */
  async enable (organizationId: string | undefined, id: string): Promise<ReceiverView> {
    if (!await enableReceiver(this.db, organizationId, id)) throw notFound(id)
    return await this.get(organizationId, id)
  }

  private requireBase (): string {
    if (this.settings.publicBaseUrl === undefined) {
      throw ScimError.unavailable('Push delivery is off on this service: PUBLIC_BASE_URL must be set, since the SETs\' issuer and signing keys are published under it.')
    }
    return this.settings.publicBaseUrl
  }
}

function toView (record: ReceiverRecord, base: string): ReceiverView {
  const issuer = issuerOf(base, record.organizationId)
  return {
    id: record.id,
    organizationId: record.organizationId,
    url: record.url,
    audience: record.audience ?? record.url,
    state: record.state,
    createdAt: record.createdAt.toISOString(),
    ...(record.failingSince !== null ? { failingSince: record.failingSince.toISOString() } : {}),
    ...(record.lastError !== null ? { lastError: record.lastError } : {}),
    pending: record.pending,
    rejected: record.rejected,
    issuer,
    jwksUri: jwksUrlOf(issuer)
  }
}

function notFound (id: string): ScimError {
  return ScimError.notFound(`Receiver ${JSON.stringify(id)} not found.`)
}
