/**
 * What a token may do. Each route declares the one scope it needs (or that it is public);
 * a token carries its effective scopes, implied ones included:
 *
 * - `scim:read`: GET, `.search` and discovery under /scim/v2 (applications reading groups).
 * - `scim:write`: every SCIM method and /Bulk (identity providers that provision); implies
 *   `scim:read`, since a provisioning client reads before it writes.
 * - `events:read`: the change feed (`/api/v1/events…`).
 * - `events:manage`: webhook receivers; implies `events:read`, because a receiver pointed at
 *   an address of one's choosing delivers the feed there anyway.
 *
 * Pure: no I/O, so the rules are testable on their own.
 */
export const TOKEN_SCOPES = ['scim:read', 'scim:write', 'events:read', 'events:manage'] as const
export type TokenScope = typeof TOKEN_SCOPES[number]

/** A route's decision: the scope a token needs, or `public` (no token at all). */
export type RouteScope = TokenScope | 'public'

/** Every scope: tokens from before scopes existed, SCIM_BEARER_TOKEN, the first-start token. */
export const FULL_ACCESS: readonly TokenScope[] = TOKEN_SCOPES

const IMPLIES: Readonly<Record<TokenScope, readonly TokenScope[]>> = {
  'scim:read': [],
  'scim:write': ['scim:read'],
  'events:read': [],
  'events:manage': ['events:read']
}

export function isTokenScope (value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value)
}

export function isRouteScope (value: unknown): value is RouteScope {
  return value === 'public' || isTokenScope(value)
}

export class ScopeError extends Error {
  override name = 'ScopeError'
}

/**
 * The effective scopes of a grant, implied ones added, in the canonical order of
 * TOKEN_SCOPES (so equal grants are stored and shown the same way).
 */
export function expandScopes (granted: Iterable<string>): TokenScope[] {
  const result = new Set<TokenScope>()
  for (const name of granted) {
    if (!isTokenScope(name)) throw new ScopeError(`Unknown scope "${name}" (known: ${TOKEN_SCOPES.join(', ')}).`)
    result.add(name)
    for (const implied of IMPLIES[name]) result.add(implied)
  }
  if (result.size === 0) throw new ScopeError(`A token needs at least one scope (${TOKEN_SCOPES.join(', ')}).`)
  return TOKEN_SCOPES.filter(scope => result.has(scope))
}

/** `--scope a,b` and repeated `--scope` both work; blanks between names are ignored. */
export function parseScopeList (values: readonly string[]): TokenScope[] {
  return expandScopes(values.flatMap(value => value.split(',')).map(name => name.trim()).filter(name => name !== ''))
}
