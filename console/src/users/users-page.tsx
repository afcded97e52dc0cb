/** Users: search by name or email; each user's type and groups. */
import { useState } from 'preact/hooks'
import { userSearch } from '../api/filter.js'
import type { ScimClient } from '../api/scim-client.js'
import { Empty, ErrorMessage, Loading } from '../components/messages.js'
import { Pager } from '../components/pager.js'
import { useCursorPages } from '../components/use-cursor-pages.js'
import { useDebounced } from '../components/use-debounced.js'
import { emailOf, nameOf, userTypeOf, whyNotAssignable } from '../components/user-label.js'
import { linkTo } from '../router.js'

const PAGE_SIZE = 20
/** Groups shown per user; the rest is counted. */
const GROUPS_SHOWN = 5

export function UsersPage (props: { readonly client: ScimClient }) {
  const [text, setText] = useState('')
  const query = useDebounced(text.trim(), 250)
  const pages = useCursorPages(query, PAGE_SIZE, async page => await props.client.listUsers(userSearch(query), page, { withGroups: true }))
  const found = pages.value
  return (
    <>
      <h1>Users</h1>
      <div class='toolbar'>
        <label for='user-search'>Search users by name or email</label>
        <input id='user-search' type='search' value={text} autocomplete='off' onInput={event => { setText(event.currentTarget.value) }} />
      </div>
      {pages.status === 'failed' && <ErrorMessage error={pages.error}><button type='button' onClick={pages.reload}>Try again</button></ErrorMessage>}
      {found === undefined && pages.status === 'loading' && <Loading label='Loading users…' />}
      {found !== undefined && found.resources.length === 0 && (
        <Empty><p>{query === '' ? 'No users yet. Identity providers create them over SCIM.' : `No user matches “${query}”.`}</p></Empty>
      )}
      {found !== undefined && found.resources.length > 0 && (
        <table class='table' aria-label='Users'>
          <thead><tr><th scope='col'>Name</th><th scope='col'>Email</th><th scope='col'>Type</th><th scope='col'>Groups</th></tr></thead>
          <tbody aria-busy={pages.status === 'loading'}>
            {found.resources.map(user => {
              const groups = user.groups ?? []
              const why = whyNotAssignable(user)
              return (
                <tr key={user.id}>
                  <td data-label='Name'>{nameOf(user)}<div class='muted'>{user.userName}</div></td>
                  <td data-label='Email'>{emailOf(user) ?? ''}</td>
                  <td data-label='Type'><span class={why === undefined ? 'badge' : 'badge badge-other'}>{userTypeOf(user)}</span></td>
                  <td data-label='Groups'>
                    {why !== undefined
                      ? <span class='reason'>{why}</span>
                      : groups.length === 0
                        ? <span class='muted'>No groups</span>
                        : (
                          <ul class='inline-list'>
                            {groups.slice(0, GROUPS_SHOWN).map(group => (
                              <li key={group.value}><a {...linkTo({ page: 'group', id: group.value, tab: 'users' })}>{group.display ?? group.value}</a></li>
                            ))}
                            {groups.length > GROUPS_SHOWN && <li class='muted'>and {groups.length - GROUPS_SHOWN} more</li>}
                          </ul>
                          )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      )}
      {found !== undefined && (
        <Pager label='Users pages' pageNumber={pages.pageNumber} pageSize={PAGE_SIZE} shown={found.resources.length}
          total={found.totalResults} previous={pages.previous} next={pages.next} />
      )}
    </>
  )
}
