/**
 * SCIM filter expressions (RFC 7644 §3.4.2.2), built in one place so that every value a
 * person types is quoted as a JSON string and never spliced into a filter by hand.
 */

/** The attributes the console filters on: a closed list, so no page invents a path. */
export type FilterAttribute =
  | 'displayName'
  | 'userName'
  | 'emails.value'
  | 'userType'
  | 'groups.value'

declare const FILTER: unique symbol
/** A filter expression; only the functions below make one. */
export type Filter = string & { readonly [FILTER]: true }

const asFilter = (text: string): Filter => text as Filter

/** A SCIM string literal: JSON's string syntax is SCIM's (RFC 7644 §3.4.2.2). */
function literal (value: string): string {
  return JSON.stringify(value)
}

export function eq (attribute: FilterAttribute, value: string): Filter {
  return asFilter(`${attribute} eq ${literal(value)}`)
}

export function co (attribute: FilterAttribute, value: string): Filter {
  return asFilter(`${attribute} co ${literal(value)}`)
}

export function not (filter: Filter): Filter {
  return asFilter(`not (${filter})`)
}

export function and (...filters: Array<Filter | undefined>): Filter | undefined {
  return join('and', filters)
}

export function or (...filters: Array<Filter | undefined>): Filter | undefined {
  return join('or', filters)
}

function join (operator: 'and' | 'or', filters: Array<Filter | undefined>): Filter | undefined {
  const present = filters.filter((f): f is Filter => f !== undefined)
  if (present.length === 0) return undefined
  if (present.length === 1) return present[0]
  return asFilter(present.map(f => `(${f})`).join(` ${operator} `))
}

/** Users whose name, user name or an email contains the text; undefined for blank text. */
export function userSearch (text: string): Filter | undefined {
  const query = text.trim()
  if (query === '') return undefined
  return or(co('userName', query), co('displayName', query), co('emails.value', query))
}

/** A PATCH path selecting the members with these ids (RFC 7644 §3.5.2.2). */
export function membersPath (ids: readonly string[]): string {
  return `members[${ids.map(id => `value eq ${literal(id)}`).join(' or ')}]`
}
