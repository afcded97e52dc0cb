import { useState } from 'preact/hooks'
import { ScimApiError, ScimClient } from './api/scim-client.js'
import { describeError } from './components/messages.js'

interface SignInProps {
  readonly notice: string | undefined
  readonly onSignedIn: (token: string) => void
}

/** Sign-in with an organization's API token, checked against the API before it is kept. */
export function SignIn (props: SignInProps) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    const value = token.trim()
    if (value === '') { setError('Enter the API token of your organization.'); return }
    setBusy(true)
    setError(undefined)
    try {
      await new ScimClient(value, () => {}).listGroups(undefined, { count: 0 })
      props.onSignedIn(value)
    } catch (failure) {
      setError(failure instanceof ScimApiError && failure.status === 401
        ? 'This token was refused: it is unknown, revoked or expired.'
        : describeError(failure))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id='main' class='sign-in'>
      <form class='card' onSubmit={event => { void submit(event) }} noValidate>
        <h1>Identity console</h1>
        <p class='muted'>Sign in with an API token of your organization (<code>npm run admin -- token create --org NAME</code> prints one). It is kept in this browser tab only, until you sign out or close the tab.</p>
        {props.notice !== undefined && <p class='message message-info' role='status'>{props.notice}</p>}
        <label for='token'>API token</label>
        <input id='token' type='password' autocomplete='off' spellcheck={false} value={token}
          aria-invalid={error !== undefined} aria-describedby={error !== undefined ? 'token-error' : undefined}
          onInput={event => { setToken(event.currentTarget.value) }} />
        {error !== undefined && <p id='token-error' class='field-error' role='alert'>{error}</p>}
        <button type='submit' class='primary' disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  )
}
