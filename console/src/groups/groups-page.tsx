/** Manage > Groups: search by name, cursor-paged, with each visible group's member count. */
import { useState } from 'preact/hooks'
import { co } from '../api/filter.js'
import type { ScimClient } from '../api/scim-client.js'
import { Empty, ErrorMessage, Loading } from '../components/messages.js'
import { Pager } from '../components/pager.js'
import { useCursorPages } from '../components/use-cursor-pages.js'
import { useDebounced } from '../components/use-debounced.js'
import { linkTo, navigate } from '../router.js'
import { MemberCount } from './member-count.js'
import { NewGroupDialog } from './new-group-dialog.js'

const PAGE_SIZE = 20

export function GroupsPage (props: { readonly client: ScimClient }) {
  const { client } = props
  const [text, setText] = useState('')
  const [creating, setCreating] = useState(false)
  const query = useDebounced(text.trim(), 250)
  const pages = useCursorPages(query, PAGE_SIZE, async page => await client.listGroups(query === '' ? undefined : co('displayName', query), page))
  const found = pages.value

  return (
    <>
      <div class='page-head'>
        <h1>Groups</h1>
        <button type='button' class='primary' onClick={() => { setCreating(true) }}>New Group</button>
      </div>
      <div class='toolbar'>
        <label for='group-search'>Search groups by name</label>
        <input id='group-search' type='search' value={text} autocomplete='off' onInput={event => { setText(event.currentTarget.value) }} />
      </div>
      {pages.status === 'failed' && <ErrorMessage error={pages.error}><button type='button' onClick={pages.reload}>Try again</button></ErrorMessage>}
      {found === undefined && pages.status === 'loading' && <Loading label='Loading groups…' />}
      {found !== undefined && found.resources.length === 0 && (
        <Empty>{query === '' ? <p>No groups yet. Create the first one with <strong>New Group</strong>.</p> : <p>No group name contains “{query}”.</p>}</Empty>
      )}
      {found !== undefined && found.resources.length > 0 && (
        <table class='table' aria-label='Groups'>
          <thead><tr><th scope='col'>Name</th><th scope='col' class='num'>Members</th><th scope='col'>Last modified</th></tr></thead>
          <tbody aria-busy={pages.status === 'loading'}>
            {found.resources.map(group => (
              <tr key={group.id}>
                <td data-label='Name'><a {...linkTo({ page: 'group', id: group.id, tab: 'general' })}>{group.displayName}</a></td>
                <td class='num' data-label='Members'><MemberCount client={client} groupId={group.id} /></td>
                <td data-label='Last modified'>{formatDate(group.meta.lastModified)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {found !== undefined && (
        <Pager label='Groups pages' pageNumber={pages.pageNumber} pageSize={PAGE_SIZE} shown={found.resources.length}
          total={found.totalResults} previous={pages.previous} next={pages.next} />
      )}
      {creating && (
        <NewGroupDialog client={client} onClose={() => { setCreating(false) }}
          onCreated={group => { setCreating(false); navigate({ page: 'group', id: group.id, tab: 'users' }) }} />
      )}
    </>
  )
}

export function formatDate (iso: string | undefined): string {
  if (iso === undefined) return ''
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })
}
