/**
 * Users' filter and sort allow-list: which SCIM attribute is which SQL (see filter-sql.ts).
 * - userName, externalId, displayName, userType, active: their columns (indexed), although
 *   `attributes` holds them too (user.mapper.ts keeps both equal);
 * - id and meta: columns; `groups`: the membership table (RFC 7643 §4.1.2: derived from
 *   Group.members, never stored on the user);
 * - everything else in the registry: the `attributes` jsonb column.
 */
import { sql } from 'kysely'
import type { SqlBool } from 'kysely'
import type { ScimAttributePath } from '../scim/filter/ast.js'
import { USER_RESOURCE, USER_SCHEMA } from '../scim/schema/registry.js'
import type { ScimAttributeDefinition } from '../scim/schema/types.js'
import type { ScimFilterMap } from './filter-sql.js'
import { escapeLike, jsonAttributeField, metaField, resourceUrl } from './filter-sql.fields.js'
import type { ScimFilterOptions, ScimSqlElement, ScimSqlElements, ScimSqlField, ScimSqlPrefilters, ScimSqlValue } from './filter-sql.fields.js'

const ATTRIBUTES = sql.ref('users.attributes')

const COLUMNS: Readonly<Record<string, ScimSqlValue>> = {
  id: { kind: 'uuid', expr: sql.ref('users.id') },
  userName: { kind: 'text', expr: sql.ref('users.user_name') },
  externalId: { kind: 'text', expr: sql.ref('users.external_id') },
  displayName: { kind: 'text', expr: sql.ref('users.display_name') },
  userType: { kind: 'text', expr: sql.ref('users.user_type') },
  active: { kind: 'boolean', expr: sql.ref('users.active') }
}

/**
 * `emails.value eq "x"` (the most common lookup after userName): migration 0003 indexes
 * scim_lower_values(attributes->'emails') with GIN. `emails.value co/sw/ew "x"` (the admin
 * console's search): migration 0005 indexes scim_lower_values_text(…) with a trigram GIN,
 * and any element containing x puts x in that text. The literal key keeps the expressions
 * identical to the indexes'; the exact `exists` is still ANDed after them.
 */
const INDEXED_VALUES: Readonly<Record<string, ScimSqlPrefilters>> = {
  emails: {
    equals: value => sql<SqlBool>`(scim_lower_values(users.attributes -> 'emails') @> array[lower(${value}::text)])`,
    contains: text => sql<SqlBool>`(scim_lower_values_text(users.attributes -> 'emails') like lower(${'%' + escapeLike(text) + '%'}::text) escape '\\')`
  }
}

/** The user's direct memberships; `display` joins the group only when asked for. */
function groupMemberships (options: ScimFilterOptions): ScimSqlElements {
  return {
    any: predicate => {
      let joinGroups = false
      const element: ScimSqlElement = {
        whole: { kind: 'opaque', name: 'groups' },
        sub: name => {
          switch (name) {
            case 'value': return { kind: 'uuid', expr: sql.ref('scim_gm.group_id') }
            case 'display':
              joinGroups = true
              return { kind: 'text', expr: sql.ref('scim_g.display_name') }
            case 'type': return { kind: 'text', expr: sql`${'direct'}::text` }
            case '$ref': return resourceUrl(options, 'groups.$ref', '/Groups/', sql.ref('scim_gm.group_id'))
            default: throw new Error(`no sub-attribute groups.${name}`)
          }
        }
      }
      const where = predicate(element)
      return joinGroups
        ? sql`exists (select 1 from group_members as scim_gm join groups as scim_g on scim_g.id = scim_gm.group_id where scim_gm.user_id = users.id and ${where})`
        : sql`exists (select 1 from group_members as scim_gm where scim_gm.user_id = users.id and ${where})`
    }
  }
}

export const USER_FILTER_MAP: ScimFilterMap = Object.freeze({
  resource: USER_RESOURCE,
  field (path: ScimAttributePath, attribute: ScimAttributeDefinition, options: ScimFilterOptions): ScimSqlField {
    if (path.schema === USER_SCHEMA) {
      const column = COLUMNS[attribute.name]
      if (column !== undefined) return { kind: 'value', value: column }
      if (attribute.name === 'meta') return metaField('users', path.subAttribute, options)
      if (attribute.name === 'groups') return { kind: 'elements', elements: groupMemberships(options), subAttribute: path.subAttribute }
    }
    const prefilters = path.schema === USER_SCHEMA ? INDEXED_VALUES[attribute.name] : undefined
    return jsonAttributeField(ATTRIBUTES, USER_SCHEMA, path, attribute, prefilters)
  }
})
