import t from 'tap'
import { printFilter } from '../../src/scim/filter/printer.js'
import { prepareRootListQuery } from '../../src/scim/root-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

const ROOT = [USER_RESOURCE, GROUP_RESOURCE] as const
const limits = { defaultCount: 100, maxCount: 500 }
/** Resolved paths print with their schema; the core ones are left out here for reading. */
const CORE_URN = /urn:ietf:params:scim:schemas:core:2\.0:(User|Group):/g

/** Type name → printed filter ('*' for everything), for the types the query still covers. */
function plan (filter: string): Record<string, string> {
  const query = prepareRootListQuery(ROOT, { filter }, limits)
  return Object.fromEntries(query.types.map(type => [type.resource.resourceType.name, type.filter === undefined ? '*' : printFilter(type.filter).replace(CORE_URN, '')]))
}

t.test('an attribute one type lacks has no value there (RFC 7644 §3.4.2.1): folded per type', async t => {
  t.same(plan('USERNAME eq "Ann"'), { User: 'userName eq "Ann"' }, 'groups are not queried at all')
  t.same(plan('members pr'), { Group: 'members pr' })
  t.same(plan('displayName eq "x"'), { User: 'displayName eq "x"', Group: 'displayName eq "x"' })
  t.same(plan('not (userName pr)'), { User: 'not (userName pr)', Group: '*' }, 'not over no value: every group')
  t.same(plan('userName ne "a"'), { User: 'userName ne "a"', Group: '*' })
  t.same(plan('userName eq null'), { User: 'not (userName pr)', Group: '*' }, 'eq null: the value is absent')
  t.same(plan('userName ne null'), { User: 'userName pr' })
  t.same(plan('userName sw "a" or members pr'), { User: 'userName sw "a"', Group: 'members pr' })
  t.same(plan('userName sw "a" and members pr'), {}, 'no type has both: nothing to query')
  t.same(plan('emails[type eq "work"] and displayName pr'), { User: 'emails[type eq "work"] and displayName pr' })
  t.same(plan('urn:ietf:params:scim:schemas:core:2.0:Group:displayName sw "a"'), { Group: 'displayName sw "a"' }, 'a URN names its type')
  t.same(Object.keys(prepareRootListQuery(ROOT, {}, limits).types.map(x => x.resource.resourceType.name)), ['0', '1'])
})

t.test('names no type has, and errors of the type that has the name, are 400', async t => {
  expectScimError(t, () => prepareRootListQuery(ROOT, { filter: 'nosuch eq "x"' }, limits), 'invalidFilter', /nosuch.*no resource type \(User, Group\)/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { filter: 'members pr or nosuch pr' }, limits), 'invalidFilter', /nosuch/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { filter: 'name.nosuch pr' }, limits), 'invalidFilter', /name\.nosuch/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { filter: 'members pr and active eq "maybe"' }, limits), 'invalidFilter', /active/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { filter: 'userName gt null' }, limits), 'invalidFilter', /null/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { sortBy: 'nosuch' }, limits), 'invalidValue', /any resource type/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { sortBy: 'emails' }, limits), 'invalidValue', /emails/)
  expectScimError(t, () => prepareRootListQuery(ROOT, { startIndex: '1', cursor: '' }, limits), 'invalidValue', /not both/)
})

t.test('sortBy resolves per type; the types without it sort as missing values', async t => {
  const byUserName = prepareRootListQuery(ROOT, { sortBy: 'USERNAME' }, limits)
  t.equal(byUserName.sortBy, 'userName')
  t.same(byUserName.types.map(type => type.sortBy), ['userName', undefined])
  const byName = prepareRootListQuery(ROOT, { sortBy: 'displayname', sortOrder: 'DESCENDING', count: '900' }, limits)
  t.same(byName.types.map(type => type.sortBy), ['displayName', 'displayName'])
  t.equal(byName.params.sortOrder, 'descending')
  t.equal(byName.params.count, 500)
  t.equal(prepareRootListQuery(ROOT, {}, limits).sortBy, undefined)
})
