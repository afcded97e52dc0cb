/**
 * Groups' filter and sort allow-list (see filter-sql.ts): displayName, externalId, id and
 * meta are columns; `members` is the membership table (its primary key (group_id, user_id)
 * answers `members.value eq`), `members.display` the member's displayName, else userName
 * (group.mapper.ts), `members.type` always "User"; anything else the `attributes` jsonb.
 */
import { sql } from 'kysely'
import type { ScimAttributePath } from '../scim/filter/ast.js'
import { GROUP_RESOURCE, GROUP_SCHEMA } from '../scim/schema/registry.js'
import type { ScimAttributeDefinition } from '../scim/schema/types.js'
import type { ScimFilterMap } from './filter-sql.js'
import { jsonAttributeField, metaField, resourceUrl } from './filter-sql.fields.js'
import type { ScimFilterOptions, ScimSqlElement, ScimSqlElements, ScimSqlField, ScimSqlValue } from './filter-sql.fields.js'

const COLUMNS: Readonly<Record<string, ScimSqlValue>> = {
  id: { kind: 'uuid', expr: sql.ref('groups.id') },
  displayName: { kind: 'text', expr: sql.ref('groups.display_name') },
  externalId: { kind: 'text', expr: sql.ref('groups.external_id') }
}

/** The group's members; `display` joins the user only when asked for. */
function members (options: ScimFilterOptions): ScimSqlElements {
  return {
    any: predicate => {
      let joinUsers = false
      const element: ScimSqlElement = {
        whole: { kind: 'opaque', name: 'members' },
        sub: name => {
          switch (name) {
            case 'value': return { kind: 'uuid', expr: sql.ref('scim_gm.user_id') }
            case 'display':
              joinUsers = true
              return { kind: 'text', expr: sql`coalesce(scim_u.display_name, scim_u.user_name)` }
            case 'type': return { kind: 'text', expr: sql`${'User'}::text` }
            case '$ref': return resourceUrl(options, 'members.$ref', '/Users/', sql.ref('scim_gm.user_id'))
            default: throw new Error(`no sub-attribute members.${name}`)
          }
        }
      }
      const where = predicate(element)
      return joinUsers
        ? sql`exists (select 1 from group_members as scim_gm join users as scim_u on scim_u.id = scim_gm.user_id where scim_gm.group_id = groups.id and ${where})`
        : sql`exists (select 1 from group_members as scim_gm where scim_gm.group_id = groups.id and ${where})`
    }
  }
}

export const GROUP_FILTER_MAP: ScimFilterMap = Object.freeze({
  resource: GROUP_RESOURCE,
  field (path: ScimAttributePath, attribute: ScimAttributeDefinition, options: ScimFilterOptions): ScimSqlField {
    if (path.schema === GROUP_SCHEMA) {
      const column = COLUMNS[attribute.name]
      if (column !== undefined) return { kind: 'value', value: column }
      if (attribute.name === 'meta') return metaField('groups', path.subAttribute, options)
      if (attribute.name === 'members') return { kind: 'elements', elements: members(options), subAttribute: path.subAttribute }
    }
    return jsonAttributeField(sql.ref('groups.attributes'), GROUP_SCHEMA, path, attribute)
  }
})
