/**
 * One group: General (rename, delete) and Users (members paged from the server, Assign
 * User, remove in edit mode). Every write sends If-Match with the version this page read,
 * so a change made meanwhile by someone else is refused (412) instead of overwritten.
 */
import { useState } from 'preact/hooks'
import type { ScimClient, ScimGroup, ScimUser } from '../api/scim-client.js'
import { describeRefusedMembers, ErrorMessage, isConflict, Loading } from '../components/messages.js'
import { useAsync } from '../components/use-async.js'
import { linkTo } from '../router.js'
import { GroupGeneral } from './group-general.js'
import { GroupMembers } from './group-members.js'

interface GroupPageProps {
  readonly client: ScimClient
  readonly id: string
  readonly tab: 'general' | 'users'
}

export interface GroupState {
  readonly group: ScimGroup
  /** The version every write names in If-Match (the ETag of the last read or write). */
  readonly version: string
}

export function GroupPage (props: GroupPageProps) {
  const { client, id, tab } = props
  const loaded = useAsync(async () => await client.getGroup(id), [id])
  const [changed, setChanged] = useState<GroupState | undefined>(undefined)
  const [reloads, setReloads] = useState(0)

  if (loaded.status === 'failed') return <><Breadcrumb /><ErrorMessage error={loaded.error} /></>
  if (loaded.status === 'loading' || loaded.value === undefined) return <><Breadcrumb /><Loading label='Loading group…' /></>
  const read = { group: loaded.value, version: loaded.value.meta.version ?? '' }
  const state = changed !== undefined && changed.group.id === read.group.id && loaded.status === 'done' ? changed : read
  const onChanged = (next: GroupState): void => { setChanged(next) }
  const reload = (): void => { setChanged(undefined); setReloads(n => n + 1); loaded.reload() }

  return (
    <>
      <Breadcrumb name={state.group.displayName} />
      <h1>{state.group.displayName}</h1>
      <nav class='tabs' aria-label='Group sections'>
        <a {...linkTo({ page: 'group', id, tab: 'general' })} aria-current={tab === 'general' ? 'page' : undefined}>General</a>
        <a {...linkTo({ page: 'group', id, tab: 'users' })} aria-current={tab === 'users' ? 'page' : undefined}>Users</a>
      </nav>
      {tab === 'general'
        ? <GroupGeneral key={reloads} client={client} state={state} onChanged={onChanged} onReload={reload} />
        : <GroupMembers key={reloads} client={client} state={state} onChanged={onChanged} onReload={reload} />}
    </>
  )
}

function Breadcrumb (props: { readonly name?: string }) {
  return (
    <nav class='breadcrumb' aria-label='Breadcrumb'>
      <a {...linkTo({ page: 'groups' })}>Groups</a>
      {props.name !== undefined && <> <span aria-hidden='true'>/</span> <span>{props.name}</span></>}
    </nav>
  )
}

/**
 * The words and the action for a refused write: 412 offers to reload the group; the
 * customer-only 400 names the refused users among `chosen`.
 */
export function WriteError (props: { readonly error: unknown, readonly onReload: () => void, readonly chosen?: ReadonlyMap<string, ScimUser> }) {
  const text = props.chosen === undefined ? undefined : describeRefusedMembers(props.error, props.chosen)
  return (
    <ErrorMessage error={props.error} text={text}>
      {isConflict(props.error) && <button type='button' onClick={props.onReload}>Reload the group</button>}
    </ErrorMessage>
  )
}
