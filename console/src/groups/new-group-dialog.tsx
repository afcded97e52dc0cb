/** New Group: a unique name, optionally customer users found by search; one POST on Finish. */
import { useState } from 'preact/hooks'
import { ScimApiError, type ScimClient, type ScimGroup, type ScimUser } from '../api/scim-client.js'
import { Dialog } from '../components/dialog.js'
import { describeRefusedMembers, ErrorMessage } from '../components/messages.js'
import { UserPicker } from '../components/user-picker.js'

interface NewGroupProps {
  readonly client: ScimClient
  readonly onClose: () => void
  readonly onCreated: (group: ScimGroup) => void
}

export function NewGroupDialog (props: NewGroupProps) {
  const [name, setName] = useState('')
  const [members, setMembers] = useState<ReadonlyMap<string, ScimUser>>(new Map())
  const [nameError, setNameError] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)

  const finish = async (event: Event): Promise<void> => {
    event.preventDefault()
    const displayName = name.trim()
    setError(undefined)
    if (displayName === '') { setNameError('Enter a name for the group.'); return }
    setNameError(undefined)
    setBusy(true)
    try {
      props.onCreated(await props.client.createGroup(displayName, [...members.keys()]))
    } catch (failure) {
      if (failure instanceof ScimApiError && failure.status === 409) setNameError(`A group named “${displayName}” already exists. Choose another name.`)
      else setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog title='New Group' onClose={props.onClose} wide>
      <form onSubmit={event => { void finish(event) }} noValidate>
        <label for='new-group-name'>Group name</label>
        <input id='new-group-name' value={name} autocomplete='off' required aria-invalid={nameError !== undefined}
          aria-describedby={nameError !== undefined ? 'new-group-name-error' : undefined}
          onInput={event => { setName(event.currentTarget.value); setNameError(undefined) }} />
        {nameError !== undefined && <p id='new-group-name-error' class='field-error' role='alert'>{nameError}</p>}
        <fieldset>
          <legend>Add users (optional)</legend>
          <UserPicker client={props.client} selected={members} onChange={setMembers} idPrefix='new-group' />
        </fieldset>
        {error !== undefined && <ErrorMessage error={error} text={describeRefusedMembers(error, members)} />}
        <div class='actions'>
          <button type='button' onClick={props.onClose}>Cancel</button>
          <button type='submit' class='primary' disabled={busy}>{busy ? 'Creating…' : 'Finish'}</button>
        </div>
      </form>
    </Dialog>
  )
}
