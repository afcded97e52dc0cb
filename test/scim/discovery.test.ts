import t from 'tap'
import type { Test } from 'tap'
import { buildResourceTypes, buildSchemasDocuments, buildServiceProviderConfig } from '../../src/scim/discovery.js'
import type { ScimServiceProviderFeatures } from '../../src/scim/discovery.js'
import {
  ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA, SERVICE_PROVIDER_CONFIG_SCHEMA, USER_SCHEMA
} from '../../src/scim/schema/registry.js'

const BASE = 'https://scim.example.test/scim/v2/'
const CHARACTERISTICS = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness']

/** Every path in a JSON value whose value is null or undefined. */
function nullPaths (value: unknown, path = '$'): string[] {
  if (value === null || value === undefined) return [path]
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`))
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullPaths(v, `${path}.${k}`))
  return []
}

function checkAttribute (t: Test, attribute: Record<string, unknown>, where: string): void {
  for (const key of CHARACTERISTICS) t.ok(key in attribute, `${where}.${String(attribute.name)} has ${key}`)
  if (attribute.type === 'reference') t.ok(Array.isArray(attribute.referenceTypes), `${where}.${String(attribute.name)} has referenceTypes`)
  if (attribute.type === 'complex') {
    t.ok(Array.isArray(attribute.subAttributes), `${where}.${String(attribute.name)} has subAttributes`)
    for (const sub of attribute.subAttributes as Array<Record<string, unknown>>) checkAttribute(t, sub, `${where}.${String(attribute.name)}`)
  } else {
    t.notOk('subAttributes' in attribute)
  }
}

t.test('schemas documents', async t => {
  const docs = buildSchemasDocuments(BASE)
  t.same(docs.map(d => d.id), [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA])
  t.same(nullPaths(docs), [])
  for (const doc of docs) {
    t.match(doc, {
      schemas: [SCHEMA_SCHEMA],
      name: String,
      description: String,
      meta: { resourceType: 'Schema', location: `https://scim.example.test/scim/v2/Schemas/${String(doc.id)}` }
    })
    for (const attribute of doc.attributes as Array<Record<string, unknown>>) checkAttribute(t, attribute, String(doc.name))
  }
  const user = docs[0]!.attributes as Array<Record<string, unknown>>
  t.match(user.find(a => a.name === 'password'), { mutability: 'writeOnly', returned: 'never' })
  t.match(user.find(a => a.name === 'emails'), { multiValued: true, subAttributes: [{ name: 'value' }, { name: 'display' }, { name: 'type', canonicalValues: ['work', 'home', 'other'] }, { name: 'primary', type: 'boolean' }] })
  t.notOk(user.some(a => a.name === 'id'), 'common attributes are not listed (RFC 7643 §3.1)')
})

t.test('resource types', async t => {
  const types = buildResourceTypes('https://x.test')
  t.same(nullPaths(types), [])
  t.same(types, [
    {
      schemas: [RESOURCE_TYPE_SCHEMA], id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: 'https://x.test/ResourceTypes/User' }
    },
    {
      schemas: [RESOURCE_TYPE_SCHEMA], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: GROUP_SCHEMA,
      schemaExtensions: [],
      meta: { resourceType: 'ResourceType', location: 'https://x.test/ResourceTypes/Group' }
    }
  ])
})

const features: ScimServiceProviderFeatures = {
  patch: true,
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 500 },
  changePassword: false,
  sort: true,
  etag: true
}

t.test('service provider config', async t => {
  const config = buildServiceProviderConfig(BASE, features)
  t.same(nullPaths(config), [])
  t.match(config, {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 500 },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: String, description: String, primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: 'https://scim.example.test/scim/v2/ServiceProviderConfig' }
  })
  t.notOk('pagination' in config)
  t.notOk('documentationUri' in config)
  const pagination = { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: 500, cursorTimeout: 3600 } as const
  const withPagination = buildServiceProviderConfig(BASE, { ...features, pagination, documentationUri: 'https://docs.test' })
  t.same(withPagination.pagination, pagination)
  t.equal(withPagination.documentationUri, 'https://docs.test')
})
