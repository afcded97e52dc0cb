/** The Enterprise User extension, RFC 7643 §4.3, with its §8.7.1 characteristics. */
import { defineAttribute, defineComplex } from './common.js'
import type { ScimSchemaDefinition } from './types.js'

export const ENTERPRISE_USER_SCHEMA_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'

const str = (name: string, description: string): ReturnType<typeof defineAttribute> =>
  defineAttribute(name, 'string', { description })

export const ENTERPRISE_USER_SCHEMA_DEFINITION: ScimSchemaDefinition = Object.freeze({
  id: ENTERPRISE_USER_SCHEMA_URN,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: Object.freeze([
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    defineComplex('manager', [
      str('value', 'The id of the SCIM resource representing the User\'s manager.'),
      defineAttribute('$ref', 'reference', { referenceTypes: Object.freeze(['User']), description: 'The URI of the SCIM resource representing the User\'s manager.' }),
      // RFC 7643 §4.3: displayName is filled in by the service provider from the manager's record.
      defineAttribute('displayName', 'string', { mutability: 'readOnly', description: 'The displayName of the User\'s manager.' })
    ], { description: 'The User\'s manager.' })
  ])
})
