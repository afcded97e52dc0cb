import { useState } from 'preact/hooks'
import { ScimApiError, type ScimClient } from '../api/scim-client.js'
import { Dialog } from '../components/dialog.js'
import { navigate } from '../router.js'
import { WriteError, type GroupState } from './group-page.js'

interface GroupGeneralProps {
  readonly client: ScimClient
  readonly state: GroupState
  readonly onChanged: (state: GroupState) => void
  readonly onReload: () => void
}

export function GroupGeneral (props: GroupGeneralProps) {
  const { client, state } = props
  const [name, setName] = useState(state.group.displayName)
  const [nameError, setNameError] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [saved, setSaved] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)

  const rename = async (event: Event): Promise<void> => {
    event.preventDefault()
    const displayName = name.trim()
    setError(undefined)
    setSaved(false)
    if (displayName === '') { setNameError('Enter a name for the group.'); return }
    setNameError(undefined)
    setBusy(true)
    try {
      const version = await client.renameGroup(state.group.id, state.version, displayName)
      setSaved(true)
      props.onChanged({ group: { ...state.group, displayName }, version })
    } catch (failure) {
      if (failure instanceof ScimApiError && failure.status === 409) setNameError(`A group named “${displayName}” already exists. Choose another name.`)
      else setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const remove = async (): Promise<void> => {
    setBusy(true)
    try {
      await client.deleteGroup(state.group.id, state.version)
      navigate({ page: 'groups' }, { replace: true })
    } catch (failure) {
      setConfirming(false)
      setError(failure)
      setBusy(false)
    }
  }

  return (
    <>
      <section class='panel' aria-labelledby='rename-title'>
        <h2 id='rename-title'>Name</h2>
        <form onSubmit={event => { void rename(event) }} noValidate>
          <label for='group-name'>Group name</label>
          <input id='group-name' value={name} autocomplete='off' aria-invalid={nameError !== undefined}
            aria-describedby={nameError !== undefined ? 'group-name-error' : undefined}
            onInput={event => { setName(event.currentTarget.value); setNameError(undefined); setSaved(false) }} />
          {nameError !== undefined && <p id='group-name-error' class='field-error' role='alert'>{nameError}</p>}
          <div class='actions'>
            <button type='submit' class='primary' disabled={busy || name.trim() === state.group.displayName}>Save name</button>
          </div>
          {saved && <p class='message message-success' role='status'>The group was renamed.</p>}
        </form>
      </section>
      {error !== undefined && <WriteError error={error} onReload={props.onReload} />}
      <section class='panel danger' aria-labelledby='delete-title'>
        <h2 id='delete-title'>Delete this group</h2>
        <p>The group and its memberships are deleted; its users stay.</p>
        <button type='button' class='danger' onClick={() => { setConfirming(true) }}>Delete group</button>
      </section>
      {confirming && (
        <Dialog title='Delete group?' onClose={() => { setConfirming(false) }}>
          <p>Delete the group <strong>{state.group.displayName}</strong>? This cannot be undone.</p>
          <div class='actions'>
            <button type='button' onClick={() => { setConfirming(false) }}>Cancel</button>
            <button type='button' class='danger' disabled={busy} onClick={() => { void remove() }}>Delete</button>
          </div>
        </Dialog>
      )}
    </>
  )
}
