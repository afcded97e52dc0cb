/**
 * Client-side routes under /console (the service answers every /console/… path with the
 * console's page). The History API keeps URLs shareable; nothing secret is ever in them.
 */
import { useEffect, useState } from 'preact/hooks'

export const CONSOLE_BASE = '/console'

export type Route =
  | { readonly page: 'groups' }
  | { readonly page: 'group', readonly id: string, readonly tab: 'general' | 'users' }
  | { readonly page: 'users' }
  | { readonly page: 'not-found' }

export function parseRoute (pathname: string): Route {
  const rest = pathname.startsWith(CONSOLE_BASE) ? pathname.slice(CONSOLE_BASE.length) : pathname
  const parts = rest.split('/').filter(part => part !== '').map(decodeURIComponent)
  if (parts.length === 0 || (parts.length === 1 && parts[0] === 'groups')) return { page: 'groups' }
  if (parts[0] === 'groups' && parts.length === 2) return { page: 'group', id: parts[1]!, tab: 'general' }
  if (parts[0] === 'groups' && parts.length === 3 && parts[2] === 'users') return { page: 'group', id: parts[1]!, tab: 'users' }
  if (parts.length === 1 && parts[0] === 'users') return { page: 'users' }
  return { page: 'not-found' }
}

export function hrefOf (route: Route): string {
  switch (route.page) {
    case 'groups': return `${CONSOLE_BASE}/groups`
    case 'users': return `${CONSOLE_BASE}/users`
    case 'group': return `${CONSOLE_BASE}/groups/${encodeURIComponent(route.id)}${route.tab === 'users' ? '/users' : ''}`
    case 'not-found': return `${CONSOLE_BASE}/groups`
  }
}

const listeners = new Set<() => void>()

export function navigate (route: Route, options: { replace?: boolean } = {}): void {
  const href = hrefOf(route)
  if (options.replace === true) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  for (const listener of listeners) listener()
}

export function useRoute (): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname))
  useEffect(() => {
    const update = (): void => { setRoute(parseRoute(location.pathname)) }
    listeners.add(update)
    addEventListener('popstate', update)
    return () => { listeners.delete(update); removeEventListener('popstate', update) }
  }, [])
  return route
}

/** Props for an <a> that navigates inside the console without reloading the page. */
export function linkTo (route: Route): { href: string, onClick: (event: MouseEvent) => void } {
  return {
    href: hrefOf(route),
    onClick: (event: MouseEvent) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(route)
    }
  }
}
