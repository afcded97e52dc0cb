/**
 * assignAttributes (src/scim/resource.ts), which the user and group mappers build every
 * response with: the stored attributes in their order, never a prototype from the data.
 */
import t from 'tap'
import { toScimGroup } from '../../src/repositories/group.mapper.js'
import { assignAttributes } from '../../src/scim/resource.js'
import { toScimUser } from '../../src/services/user-groups.stream.js'

t.test('copies own attributes in order, later keys of the target replaced', async t => {
  const target = { id: 'x', keep: 1 }
  const result = assignAttributes(target, { userName: 'u', id: 'y', name: { givenName: 'G' } })
  t.equal(result, target)
  t.same(Object.keys(result), ['id', 'keep', 'userName', 'name'])
  t.equal(result.id, 'y')
})

t.test('a stored "__proto__" key is not copied and sets no prototype', async t => {
  const stored = JSON.parse('{"userName":"u","__proto__":{"polluted":true},"active":true}') as Record<string, unknown>
  const result = assignAttributes({}, stored)
  t.same(Object.keys(result), ['userName', 'active'])
  t.equal(Object.getPrototypeOf(result), Object.prototype)
  t.equal((result as { polluted?: unknown }).polluted, undefined)
})

t.test('inherited keys are not copied', async t => {
  const stored = Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, { own: 2 })
  t.same(assignAttributes({}, stored), { own: 2 })
})

t.test('a user and a group response: stored attributes, then id, groups/meta, as before', async t => {
  const createdAt = new Date('2026-01-02T03:04:05.678Z')
  const user = toScimUser({
    id: 'u1', organizationId: 'o', userName: 'bjensen', userType: 'customer', active: true, version: 3, createdAt, lastModified: createdAt,
    attributes: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'bjensen', active: true }
  }, [{ userId: 'u1', groupId: 'g1', displayName: 'Admins' }], 'https://h/scim/v2')
  t.same(Object.keys(user), ['schemas', 'userName', 'active', 'id', 'groups', 'meta'])
  t.same(user.groups, [{ value: 'g1', $ref: 'https://h/scim/v2/Groups/g1', display: 'Admins', type: 'direct' }])
  t.same(Object.keys(user.meta as object), ['resourceType', 'created', 'lastModified', 'location', 'version'])
  t.same(user.meta, { resourceType: 'User', created: '2026-01-02T03:04:05.678Z', lastModified: '2026-01-02T03:04:05.678Z', location: 'https://h/scim/v2/Users/u1', version: 'W/"3"' })
  const group = toScimGroup({
    id: 'g1', organizationId: 'o', displayName: 'Admins', externalId: null, version: 2, createdAt, lastModified: createdAt,
    attributes: JSON.parse('{"__proto__":{"x":1},"urn:example:ext":{"a":1}}') as Record<string, unknown>
  }, 'https://h/scim/v2')
  t.same(Object.keys(group), ['schemas', 'id', 'displayName', 'urn:example:ext', 'meta'])
  t.same(Object.keys(group.meta as object), ['resourceType', 'created', 'lastModified', 'location', 'version'])
  t.same(group.meta, { resourceType: 'Group', created: '2026-01-02T03:04:05.678Z', lastModified: '2026-01-02T03:04:05.678Z', location: 'https://h/scim/v2/Groups/g1', version: 'W/"2"' })
  t.equal(Object.getPrototypeOf(group), Object.prototype)
})
