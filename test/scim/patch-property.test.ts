import { isDeepStrictEqual } from 'node:util'
import t from 'tap'
import fc from 'fast-check'
import { applyPatch, memberOnlyChanges } from '../../src/scim/patch/apply-patch.js'
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

// The member-only fast path answers Entra's and Okta's member pushes without reading the group:
// whenever it takes a PATCH, it must give what the general path gives, the same changes or the
// same error word for word.
const memberPaths = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('members', 'MEMBERS', 'members[value eq "a"]', 'members[value eq "a" or value eq "b"]', 'urn:ietf:params:scim:schemas:core:2.0:Group:members') },
  { weight: 2, arbitrary: fc.constantFrom('members[display eq "a"]', 'members.value', 'members[value eq "a"].display', 'members[value eq "a" and value eq "b"]') },
  { weight: 1, arbitrary: fc.constantFrom('displayName', 'members[', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }
)
const memberValue = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.constant([]), fc.string({ maxLength: 4 }),
  fc.array(fc.oneof(fc.record({ value: fc.oneof(fc.constantFrom('a', 'b', 'c', ''), fc.integer()), display: fc.string({ maxLength: 3 }) }, { requiredKeys: [] }), fc.constant(null)), { maxLength: 3 }),
  fc.record({ value: fc.constantFrom('a', 'b') })
)
const memberOperation = fc.record({
  op: fc.oneof({ weight: 10, arbitrary: fc.constantFrom('add', 'Add', 'remove', 'REMOVE') }, { weight: 1, arbitrary: fc.constantFrom('replace', 'copy') }),
  path: memberPaths,
  value: memberValue
}, { requiredKeys: ['op', 'path'] })

function outcome (run: () => unknown): { changes: unknown } | { error: { status: number, scimType: string | undefined, detail: string } } {
  try {
    return { changes: run() }
  } catch (error) {
    if (!(error instanceof ScimError)) throw error
    return { error: { status: error.status, scimType: error.scimType, detail: error.detail } }
  }
}

t.test('a member-only PATCH gives the same changes and errors on the fast path as on the general one', async t => {
  let fast = 0
  let refused = 0
  fc.assert(fc.property(fc.array(memberOperation, { minLength: 1, maxLength: 3 }), operations => {
    const quick = outcome(() => memberOnlyChanges(GROUP_RESOURCE, operations))
    if ('error' in quick) refused++
    else if (quick.changes === undefined) return
    fast++
    const general = outcome(() => applyPatch(GROUP_RESOURCE, structuredClone(GROUP), operations, { resourceId: 'g-1' }).members)
    // Thrown, not asserted, so that fast-check shrinks a difference to its smallest case.
    if (!isDeepStrictEqual(quick, general)) throw new Error(`fast ${JSON.stringify(quick)} vs general ${JSON.stringify(general)}`)
  }), { numRuns: 3000 })
  t.ok(fast > 300, `a good share of the sequences took the fast path (${fast})`)
  t.ok(refused > 50 && refused < fast - 50, `both changes and errors among them (${refused} errors)`)
  t.equal(memberOnlyChanges(USER_RESOURCE, [{ op: 'add', path: 'members', value: [{ value: 'a' }] }]), undefined, 'never for a User')
  t.equal(memberOnlyChanges(GROUP_RESOURCE, []), undefined, 'an empty PATCH takes the general path')
})
