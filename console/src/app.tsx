import { useMemo, useState } from 'preact/hooks'
import { ScimClient } from './api/scim-client.js'
import { GroupPage } from './groups/group-page.js'
import { GroupsPage } from './groups/groups-page.js'
import { linkTo, navigate, useRoute, type Route } from './router.js'
import { forgetToken, readToken, saveToken } from './session.js'
import { SignIn } from './sign-in.js'
import { UsersPage } from './users/users-page.js'

export function App () {
  const [token, setToken] = useState(readToken)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const route = useRoute()

  const client = useMemo(() => token === undefined
    ? undefined
    : new ScimClient(token, () => {
      forgetToken()
      setNotice('Your token was refused (expired or revoked), so you were signed out. Sign in again.')
      setToken(undefined)
    }), [token])

  if (client === undefined) {
    return <SignIn notice={notice} onSignedIn={value => { saveToken(value); setNotice(undefined); setToken(value) }} />
  }
  const signOut = (): void => {
    forgetToken()
    setNotice('You are signed out.')
    setToken(undefined)
    navigate({ page: 'groups' }, { replace: true })
  }
  return (
    <>
      <a class='skip-link' href='#main'>Skip to content</a>
      <header class='top'>
        <span class='brand'>Identity console</span>
        <nav aria-label='Manage'>
          <NavLink route={{ page: 'groups' }} current={route.page === 'groups' || route.page === 'group'}>Groups</NavLink>
          <NavLink route={{ page: 'users' }} current={route.page === 'users'}>Users</NavLink>
        </nav>
        <button type='button' class='sign-out' onClick={signOut}>Sign out</button>
      </header>
      <main id='main' tabIndex={-1}>
        <Page route={route} client={client} />
      </main>
    </>
  )
}

function Page (props: { readonly route: Route, readonly client: ScimClient }) {
  const { route, client } = props
  switch (route.page) {
    case 'groups': return <GroupsPage client={client} />
    case 'group': return <GroupPage key={route.id} client={client} id={route.id} tab={route.tab} />
    case 'users': return <UsersPage client={client} />
    case 'not-found': return <><h1>Page not found</h1><p><a {...linkTo({ page: 'groups' })}>Go to Groups</a></p></>
  }
}

function NavLink (props: { readonly route: Route, readonly current: boolean, readonly children: string }) {
  return <a {...linkTo(props.route)} aria-current={props.current ? 'page' : undefined}>{props.children}</a>
}
