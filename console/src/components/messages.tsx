import type { ComponentChildren } from 'preact'
import { ScimApiError } from '../api/scim-client.js'

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

export function isConflict (error: unknown): boolean {
  return error instanceof ScimApiError && error.status === 412
}

export function ErrorMessage (props: { readonly error: unknown, readonly children?: ComponentChildren }) {
  return (
    <div class='message message-error' role='alert'>
      <p>{describeError(props.error)}</p>
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
