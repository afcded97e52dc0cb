/**
 * The core User schema, RFC 7643 §4.1, with the characteristics of its §8.7.1 representation.
 * Product rule: `userType` defaults to `customer`; its canonical values are a hint only.
 */
import { defineAttribute, defineComplex, defineMultiValued } from './common.js'
import type { ScimSchemaDefinition } from './types.js'

export const USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:User'

/** Product rule: a user without `userType` is a customer (only customers may join groups). */
export const DEFAULT_USER_TYPE = 'customer'
export const USER_TYPE_VALUES = Object.freeze(['customer', 'administrator', 'collaborator'])

const str = (name: string, description: string): ReturnType<typeof defineAttribute> =>
  defineAttribute(name, 'string', { description })

const name = defineComplex('name', [
  str('formatted', 'The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.'),
  str('familyName', 'The family name of the User, or last name in most Western languages.'),
  str('givenName', 'The given name of the User, or first name in most Western languages.'),
  str('middleName', 'The middle name(s) of the User.'),
  str('honorificPrefix', 'The honorific prefix(es) of the User, or title in most Western languages.'),
  str('honorificSuffix', 'The honorific suffix(es) of the User, or suffix in most Western languages.')
], { description: 'The components of the user\'s real name.' })

const addresses = defineComplex('addresses', [
  str('formatted', 'The full mailing address, formatted for display or use with a mailing label.'),
  str('streetAddress', 'The full street address component.'),
  str('locality', 'The city or locality component.'),
  str('region', 'The state or region component.'),
  str('postalCode', 'The zip code or postal code component.'),
  str('country', 'The country name component.'),
  defineAttribute('type', 'string', { description: 'A label indicating the attribute\'s function.', canonicalValues: Object.freeze(['work', 'home', 'other']) }),
  // RFC 7643 §4.1.2 gives addresses a `primary` flag although the §8.7.1 listing omits it.
  defineAttribute('primary', 'boolean', { description: 'A Boolean value indicating the \'primary\' or preferred address.' })
], { multiValued: true, description: 'A physical mailing address for this User.' })

// RFC 7643 §4.1.2: groups is derived from Group.members, so every part of it is readOnly.
const groups = defineComplex('groups', [
  defineAttribute('value', 'string', { mutability: 'readOnly', description: 'The identifier of the User\'s group.' }),
  defineAttribute('$ref', 'reference', { mutability: 'readOnly', referenceTypes: Object.freeze(['User', 'Group']), description: 'The URI of the corresponding \'Group\' resource to which the user belongs.' }),
  defineAttribute('display', 'string', { mutability: 'readOnly', description: 'A human-readable name, primarily used for display purposes.' }),
  defineAttribute('type', 'string', { mutability: 'readOnly', canonicalValues: Object.freeze(['direct', 'indirect']), description: 'A label indicating the attribute\'s function, e.g., \'direct\' or \'indirect\'.' })
], { multiValued: true, mutability: 'readOnly', description: 'A list of groups to which the user belongs.' })

export const USER_SCHEMA_DEFINITION: ScimSchemaDefinition = Object.freeze({
  id: USER_SCHEMA_URN,
  name: 'User',
  description: 'User Account',
  attributes: Object.freeze([
    defineAttribute('userName', 'string', { required: true, uniqueness: 'server', description: 'Unique identifier for the User, typically used by the user to directly authenticate to the service provider.' }),
    name,
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    defineAttribute('profileUrl', 'reference', { referenceTypes: Object.freeze(['external']), description: 'A fully qualified URL pointing to a page representing the User\'s online profile.' }),
    str('title', 'The user\'s title, such as "Vice President".'),
    defineAttribute('userType', 'string', { canonicalValues: USER_TYPE_VALUES, description: 'Used to identify the relationship between the organization and the user. Defaults to "customer".' }),
    str('preferredLanguage', 'Indicates the User\'s preferred written or spoken language.'),
    str('locale', 'Used to indicate the User\'s default location for purposes of localizing items such as currency, date time format, or numerical representations.'),
    str('timezone', 'The User\'s time zone in the \'Olson\' time zone database format, e.g., \'America/Los_Angeles\'.'),
    defineAttribute('active', 'boolean', { description: 'A Boolean value indicating the User\'s administrative status.' }),
    defineAttribute('password', 'string', { mutability: 'writeOnly', returned: 'never', description: 'The User\'s cleartext password, used to set or compare it; never returned.' }),
    defineMultiValued('emails', 'Email addresses for the user.',
      str('value', 'Email addresses for the user.'), ['work', 'home', 'other']),
    defineMultiValued('phoneNumbers', 'Phone numbers for the User.',
      str('value', 'Phone number of the User.'), ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    defineMultiValued('ims', 'Instant messaging addresses for the User.',
      str('value', 'Instant messaging address for the User.'), ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    defineMultiValued('photos', 'URLs of photos of the User.',
      defineAttribute('value', 'reference', { referenceTypes: Object.freeze(['external']), description: 'URL of a photo of the User.' }), ['photo', 'thumbnail']),
    addresses,
    groups,
    defineMultiValued('entitlements', 'A list of entitlements for the User that represent a thing the User has.',
      str('value', 'The value of an entitlement.'), undefined),
    defineMultiValued('roles', 'A list of roles for the User that collectively represent who the User is.',
      str('value', 'The value of a role.'), undefined),
    defineMultiValued('x509Certificates', 'A list of certificates issued to the User.',
      defineAttribute('value', 'binary', { description: 'The value of an X.509 certificate.' }), undefined)
  ])
})
