/**
 * Search users by name or email and select several. Only customer users are offered (a
 * `userType eq "customer"` filter); users of other types who match are listed apart, not
 * selectable, with the reason.
 */
import { useState } from 'preact/hooks'
import { userSearch } from '../api/filter.js'
import type { ScimClient, ScimUser } from '../api/scim-client.js'
import { ErrorMessage, Loading } from './messages.js'
import { Pager } from './pager.js'
import { useAsync } from './use-async.js'
import { useCursorPages } from './use-cursor-pages.js'
import { useDebounced } from './use-debounced.js'
import { emailOf, nameOf, whyNotAssignable } from './user-label.js'

const PAGE_SIZE = 10
const NOT_ASSIGNABLE_SHOWN = 5

interface UserPickerProps {
  readonly client: ScimClient
  /** Users already in this group are not offered. */
  readonly excludeGroup?: string
  readonly selected: ReadonlyMap<string, ScimUser>
  readonly onChange: (selected: ReadonlyMap<string, ScimUser>) => void
  readonly idPrefix: string
}

export function UserPicker (props: UserPickerProps) {
  const { client, excludeGroup, selected, onChange, idPrefix } = props
  const [text, setText] = useState('')
  const query = useDebounced(text.trim(), 250)
  const search = userSearch(query)
  const pages = useCursorPages(`${excludeGroup ?? ''}|${query}`, PAGE_SIZE, async page => await client.listAssignable(search, excludeGroup, page))
  const others = useAsync(async () => search === undefined ? undefined : await client.listNotAssignable(search, NOT_ASSIGNABLE_SHOWN), [query])

  const toggle = (user: ScimUser, on: boolean): void => {
    const next = new Map(selected)
    if (on) next.set(user.id, user)
    else next.delete(user.id)
    onChange(next)
  }
  const found = pages.value
  return (
    <div class='picker'>
      <label for={`${idPrefix}-search`}>Search users by name or email</label>
      <input id={`${idPrefix}-search`} type='search' value={text} autocomplete='off'
        onInput={event => { setText(event.currentTarget.value) }} />
      {selected.size > 0 && (
        <p class='picker-selected' aria-live='polite'>{selected.size === 1 ? '1 user selected' : `${selected.size} users selected`}</p>
      )}
      {pages.status === 'failed' && <ErrorMessage error={pages.error} />}
      {pages.status === 'loading' && found === undefined && <Loading label='Searching users…' />}
      {found !== undefined && (
        <>
          {found.resources.length > 0 && (
          <table class='table' aria-label='Customer users'>
            <thead><tr><th scope='col'><span class='visually-hidden'>Select</span></th><th scope='col'>Name</th><th scope='col'>Email</th></tr></thead>
            <tbody aria-busy={pages.status === 'loading'}>
              {found.resources.map(user => (
                <tr key={user.id}>
                  <td>
                    <input type='checkbox' id={`${idPrefix}-user-${user.id}`} checked={selected.has(user.id)}
                      onChange={event => { toggle(user, event.currentTarget.checked) }} />
                  </td>
                  <td><label for={`${idPrefix}-user-${user.id}`}>{nameOf(user)}</label></td>
                  <td>{emailOf(user) ?? user.userName}</td>
                </tr>
              ))}
            </tbody>
          </table>
          )}
          {found.resources.length === 0 && (
            <p class='empty'>{query === '' ? 'No customer users to add.' : `No customer user matches “${query}”.`}</p>
          )}
          <Pager label='Customer users pages' pageNumber={pages.pageNumber} pageSize={PAGE_SIZE} shown={found.resources.length}
            total={found.totalResults} previous={pages.previous} next={pages.next} />
        </>
      )}
      <NotAssignable users={others.status === 'done' ? others.value?.resources : undefined} />
    </div>
  )
}

function NotAssignable (props: { readonly users: readonly ScimUser[] | undefined }) {
  if (props.users === undefined || props.users.length === 0) return null
  return (
    <section class='not-assignable' aria-label='Users who cannot be added'>
      <h3>Also matching, but not selectable</h3>
      <ul>
        {props.users.map(user => (
          <li key={user.id}>
            <input type='checkbox' disabled aria-label={`${nameOf(user)} (not selectable)`} aria-describedby={`why-${user.id}`} />
            <span class='name'>{nameOf(user)}</span> <span class='muted'>{emailOf(user) ?? user.userName}</span>
            <span class='reason' id={`why-${user.id}`}>{whyNotAssignable(user)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
