/**
 * Group > Users. Members come from the server a page at a time
 * (`/Users?filter=groups.value eq "<id>"` with cursors), so a group of a million members
 * opens like an empty one. Assign User adds the selected customers in one PATCH `add`; in
 * edit mode each member has a checkbox, and Save removes exactly the cleared ones in one
 * PATCH `remove`.
 */
import { useState } from 'preact/hooks'
import type { ScimClient, ScimUser } from '../api/scim-client.js'
import { Dialog } from '../components/dialog.js'
import { Empty, ErrorMessage, Loading } from '../components/messages.js'
import { Pager } from '../components/pager.js'
import { useCursorPages } from '../components/use-cursor-pages.js'
import { emailOf, nameOf } from '../components/user-label.js'
import { UserPicker } from '../components/user-picker.js'
import { WriteError, type GroupState } from './group-page.js'

const PAGE_SIZE = 20

interface GroupMembersProps {
  readonly client: ScimClient
  readonly state: GroupState
  readonly onChanged: (state: GroupState) => void
  readonly onReload: () => void
}

export function GroupMembers (props: GroupMembersProps) {
  const { client, state } = props
  const groupId = state.group.id
  const [listed, setListed] = useState(0)
  const pages = useCursorPages(`${groupId}|${listed}`, PAGE_SIZE, async page => await client.listMembers(groupId, page))
  const [editing, setEditing] = useState(false)
  const [cleared, setCleared] = useState<ReadonlyMap<string, ScimUser>>(new Map())
  const [assigning, setAssigning] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const found = pages.value

  const changed = (version: string, message: string): void => {
    props.onChanged({ group: state.group, version })
    setNotice(message)
    setListed(n => n + 1)
  }
  const stopEditing = (): void => { setEditing(false); setCleared(new Map()) }
  const saveRemovals = async (): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      const version = await client.removeMembers(groupId, state.version, [...cleared.keys()])
      stopEditing()
      changed(version, cleared.size === 1 ? '1 user was removed from the group.' : `${cleared.size} users were removed from the group.`)
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }
  const toggle = (user: ScimUser, keep: boolean): void => {
    const next = new Map(cleared)
    if (keep) next.delete(user.id)
    else next.set(user.id, user)
    setCleared(next)
  }

  return (
    <section aria-labelledby='members-title'>
      <div class='page-head'>
        <h2 id='members-title'>Users{found !== undefined && <span class='count'> ({found.totalResults.toLocaleString('en-US')})</span>}</h2>
        {editing
          ? (
            <div class='actions'>
              <button type='button' onClick={stopEditing} disabled={busy}>Cancel</button>
              <button type='button' class='primary' onClick={() => { void saveRemovals() }} disabled={busy || cleared.size === 0}>Save</button>
            </div>
            )
          : (
            <div class='actions'>
              <button type='button' onClick={() => { setNotice(undefined); setEditing(true) }}
                disabled={found === undefined || found.totalResults === 0} aria-label='Edit members'>
                <span aria-hidden='true'>✎ </span>Edit
              </button>
              <button type='button' class='primary' onClick={() => { setNotice(undefined); setAssigning(true) }}>Assign User</button>
            </div>
            )}
      </div>
      {editing && (
        <p class='hint' aria-live='polite'>
          Clear the checkbox of each user to remove, then Save.{cleared.size > 0 && ` ${cleared.size} to remove.`}
        </p>
      )}
      {notice !== undefined && <p class='message message-success' role='status'>{notice}</p>}
      {error !== undefined && <WriteError error={error} onReload={props.onReload} />}
      {pages.status === 'failed' && <ErrorMessage error={pages.error}><button type='button' onClick={pages.reload}>Try again</button></ErrorMessage>}
      {found === undefined && pages.status === 'loading' && <Loading label='Loading members…' />}
      {found !== undefined && found.resources.length === 0 && (
        <Empty><p>This group has no users yet. Add customer users with <strong>Assign User</strong>.</p></Empty>
      )}
      {found !== undefined && found.resources.length > 0 && (
        <table class='table' aria-label='Members'>
          <thead>
            <tr>
              {editing && <th scope='col'><span class='visually-hidden'>Keep in group</span></th>}
              <th scope='col'>Name</th><th scope='col'>Email</th><th scope='col'>User name</th>
            </tr>
          </thead>
          <tbody aria-busy={pages.status === 'loading'}>
            {found.resources.map(user => (
              <tr key={user.id}>
                {editing && (
                  <td>
                    <input type='checkbox' id={`member-${user.id}`} checked={!cleared.has(user.id)}
                      aria-label={`Keep ${nameOf(user)} in the group`}
                      onChange={event => { toggle(user, event.currentTarget.checked) }} />
                  </td>
                )}
                <td data-label='Name'>{nameOf(user)}</td>
                <td data-label='Email'>{emailOf(user) ?? ''}</td>
                <td data-label='User name'>{user.userName}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {found !== undefined && (
        <Pager label='Members pages' pageNumber={pages.pageNumber} pageSize={PAGE_SIZE} shown={found.resources.length}
          total={found.totalResults} previous={pages.previous} next={pages.next} />
      )}
      {assigning && (
        <AssignDialog client={client} state={state} onClose={() => { setAssigning(false) }} onReload={() => { setAssigning(false); props.onReload() }}
          onAssigned={(version, count) => {
            setAssigning(false)
            changed(version, count === 1 ? '1 user was added to the group.' : `${count} users were added to the group.`)
          }} />
      )}
    </section>
  )
}

interface AssignDialogProps {
  readonly client: ScimClient
  readonly state: GroupState
  readonly onClose: () => void
  readonly onReload: () => void
  readonly onAssigned: (version: string, count: number) => void
}

function AssignDialog (props: AssignDialogProps) {
  const [selected, setSelected] = useState<ReadonlyMap<string, ScimUser>>(new Map())
  const [error, setError] = useState<unknown>(undefined)
  const [busy, setBusy] = useState(false)
  const save = async (): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      const version = await props.client.addMembers(props.state.group.id, props.state.version, [...selected.keys()])
      props.onAssigned(version, selected.size)
    } catch (failure) {
      setError(failure)
      setBusy(false)
    }
  }
  return (
    <Dialog title={`Assign users to ${props.state.group.displayName}`} onClose={props.onClose} wide>
      <UserPicker client={props.client} excludeGroup={props.state.group.id} selected={selected} onChange={setSelected} idPrefix='assign' />
      {error !== undefined && <WriteError error={error} onReload={props.onReload} chosen={selected} />}
      <div class='actions'>
        <button type='button' onClick={props.onClose}>Cancel</button>
        <button type='button' class='primary' disabled={busy || selected.size === 0} onClick={() => { void save() }}>Save</button>
      </div>
    </Dialog>
  )
}
