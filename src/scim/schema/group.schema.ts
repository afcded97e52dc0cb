/**
 * The core Group schema, RFC 7643 §4.2. Deviations from §8.7.1, on purpose:
 * - `displayName` is required (§4.2 text says so) and unique per tenant (product rule);
 * - `members.display` is readOnly: we derive it from the user record, client-sent values
 *   are unreliable (Okta sends the same display for different users).
 */
import { defineAttribute, defineComplex } from './common.js'
import type { ScimSchemaDefinition } from './types.js'

export const GROUP_SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group'

export const GROUP_SCHEMA_DEFINITION: ScimSchemaDefinition = Object.freeze({
  id: GROUP_SCHEMA_URN,
  name: 'Group',
  description: 'Group',
  attributes: Object.freeze([
    defineAttribute('displayName', 'string', { required: true, uniqueness: 'server', description: 'A human-readable name for the Group.' }),
    defineComplex('members', [
      defineAttribute('value', 'string', { mutability: 'immutable', description: 'Identifier of the member of this Group.' }),
      defineAttribute('$ref', 'reference', { mutability: 'immutable', referenceTypes: Object.freeze(['User', 'Group']), description: 'The URI corresponding to a SCIM resource that is a member of this Group.' }),
      defineAttribute('display', 'string', { mutability: 'readOnly', description: 'A human-readable name for the member, taken from the member\'s record.' }),
      defineAttribute('type', 'string', { mutability: 'immutable', canonicalValues: Object.freeze(['User', 'Group']), description: 'A label indicating the type of resource, e.g., \'User\' or \'Group\'.' })
    ], { multiValued: true, description: 'A list of members of the Group.' })
  ])
})
