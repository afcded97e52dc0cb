import type { ScimUser } from '../api/scim-client.js'

export const CUSTOMER = 'customer'

export function nameOf (user: ScimUser): string {
  return user.displayName ?? user.userName
}

export function emailOf (user: ScimUser): string | undefined {
  return (user.emails?.find(email => email.primary === true) ?? user.emails?.[0])?.value
}

export function userTypeOf (user: ScimUser): string {
  return user.userType ?? CUSTOMER
}

/** Why a user cannot be put in a group, or undefined when it can. */
export function whyNotAssignable (user: ScimUser): string | undefined {
  const type = userTypeOf(user)
  return type === CUSTOMER ? undefined : `Only customer users can be group members; this user is ${article(type)} ${type}.`
}

function article (word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a'
}
