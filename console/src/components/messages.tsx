import type { ComponentChildren } from 'preact'
import { ScimApiError, type ScimUser } from '../api/scim-client.js'
import { nameOf } from './user-label.js'

/** A failure in words a person can act on, from what the service answered. */
export function describeError (error: unknown): string {
  if (!(error instanceof ScimApiError)) return 'Something went wrong in the console. Reload the page and try again.'
  switch (error.status) {
    case 0: return error.detail
    case 401: return 'Your token was refused (expired or revoked). Sign in again.'
    case 403: return `This token may not do that: ${error.detail}`
    case 404: return 'It no longer exists: someone may have deleted it.'
    case 409: return error.detail
    case 412: return 'Someone else changed this group since you opened it, so nothing was saved.'
    case 429: return 'The service is busy with this organization\'s requests. Wait a moment and try again.'
    case 503: return 'The service is temporarily unavailable. Try again in a moment.'
  }
  if (error.status === 400 && error.scimType === 'invalidValue') return `Not saved: ${error.detail}`
  return `Not done (${error.status}): ${error.detail}`
}

const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/**
 * The customer-only rule's 400 (a user made administrator since it was listed, say), naming
 * the refused users as the administrator chose them; undefined for any other error.
 */
export function describeRefusedMembers (error: unknown, chosen: ReadonlyMap<string, ScimUser>): string | undefined {
  if (!(error instanceof ScimApiError) || error.status !== 400 || error.scimType !== 'invalidValue') return undefined
  const refused = [...new Set([...error.detail.matchAll(UUID_IN_TEXT)].map(match => match[0].toLowerCase()))]
    .map(id => chosen.get(id)).filter((user): user is ScimUser => user !== undefined)
  if (refused.length === 0) return undefined
  const names = refused.map(nameOf)
  const who = names.length === 1
    ? `${names[0]} is not a customer user (any more)`
    : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are not customer users (any more)`
  return `Only customer users can be group members. Nothing was saved: ${who}. Clear ${names.length === 1 ? 'it' : 'them'} and save again.`
}

export function isConflict (error: unknown): boolean {
  return error instanceof ScimApiError && error.status === 412
}

export function ErrorMessage (props: { readonly error: unknown, readonly text?: string | undefined, readonly children?: ComponentChildren }) {
  return (
    <div class='message message-error' role='alert'>
      <p>{props.text ?? describeError(props.error)}</p>
      {props.children}
    </div>
  )
}

export function Loading (props: { readonly label: string }) {
  return <p class='status' role='status'>{props.label}</p>
}

export function Empty (props: { readonly children: ComponentChildren }) {
  return <div class='empty' role='status'>{props.children}</div>
}
