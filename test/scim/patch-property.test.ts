import t from 'tap'
import fc from 'fast-check'
import { applyPatch } from '../../src/scim/patch/apply-patch.js'
import { ScimError } from '../../src/scim/errors.js'
import { ENTERPRISE_USER_SCHEMA, GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'

const E = ENTERPRISE_USER_SCHEMA

const USER = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u-1',
  userName: 'bjensen',
  name: { givenName: 'Barbara' },
  emails: [{ value: 'b@home.org', type: 'home', primary: true }, { value: 'b@work.org', type: 'work' }],
  meta: { resourceType: 'User' }
}
const GROUP = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g-1', displayName: 'Admins' }

const paths = fc.oneof(
  fc.constantFrom(
    undefined, null, '', 'userName', 'USERNAME', 'name', 'name.givenName', 'name.x', 'active', 'title', 'emails',
    'emails.value', 'emails.primary', 'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[type eq "x" or value pr]',
    'emails[primary eq true].type', 'roles', 'id', 'meta', 'meta.created', 'groups', 'members', 'members[value eq "a"]',
    'members[value eq "a" or value eq "b"]', 'members[display eq "a"]', 'members.value', 'displayName', `${E}:manager`,
    `${E}:manager.value`, E, `${E}:department`, 'x509Certificates', 'emails[', 'a b', 'urn:x:y', 'password'
  ),
  fc.string({ maxLength: 30 })
)
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.integer(), fc.constant(null),
  fc.constantFrom('True', 'False', '2020-01-01T00:00:00Z', 'u-1'))
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>(tie => ({
  v: fc.oneof({ depthSize: 'small' },
    scalar,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('value', 'type', 'primary', 'display', 'givenName', 'id', 'active', 'members', 'name.givenName', E, `${E}:department`, 'x', '$ref'), tie('v'), { maxKeys: 3 })
  )
})).v
const operation = fc.oneof(
  fc.record({ op: fc.constantFrom('add', 'Add', 'replace', 'Replace', 'remove', 'REMOVE', 'copy'), path: paths, value }, { requiredKeys: ['op'] }),
  value
)

t.test('random PATCH operations never throw anything but ScimError, and never touch the input', async t => {
  let applied = 0
  fc.assert(fc.property(fc.array(operation, { maxLength: 5 }), fc.boolean(), (operations, onGroup) => {
    const resource = onGroup ? GROUP_RESOURCE : USER_RESOURCE
    const current = structuredClone(onGroup ? GROUP : USER)
    try {
      const result = applyPatch(resource, current, operations, { resourceId: String(current.id) })
      applied++
      if ('members' in result.resource) throw new Error('members written into a resource')
      if (JSON.stringify(result.resource).includes('"name.givenName"')) throw new Error('dotted key stored')
    } catch (error) {
      if (!(error instanceof ScimError)) throw error
      if (error.status !== 400) throw new Error(`status ${error.status}`)
    }
    t.same(current, onGroup ? GROUP : USER)
  }), { numRuns: 1500 })
  t.ok(applied > 100, `a good share of the sequences applied (${applied})`)
})
