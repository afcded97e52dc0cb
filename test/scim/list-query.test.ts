import t from 'tap'
import { prepareListQuery } from '../../src/scim/list-query.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

const limits = { defaultCount: 100, maxCount: 500 }

t.test('a list request is resolved for its resource type', async t => {
  const query = prepareListQuery(USER_RESOURCE, { filter: 'USERNAME eq "Ann"', sortBy: 'NAME.familyname', count: '900', excludedAttributes: 'groups' }, limits)
  t.match(query.filter, { kind: 'compare', path: { attribute: 'userName' }, op: 'eq', value: 'Ann' })
  t.equal(query.sortBy, 'name.familyName')
  t.equal(query.params.count, 500, 'count is capped')
  t.same(query.projection, { attributes: query.params.attributes, excludedAttributes: ['groups'] })
  t.equal(prepareListQuery(GROUP_RESOURCE, {}, limits).filter, undefined)
})

t.test('bad requests fail before any database work', async t => {
  expectScimError(t, () => prepareListQuery(USER_RESOURCE, { filter: 'userName eq' }, limits), 'invalidFilter', /./)
  expectScimError(t, () => prepareListQuery(GROUP_RESOURCE, { filter: 'userName eq "x"' }, limits), 'invalidFilter', /userName/)
  expectScimError(t, () => prepareListQuery(USER_RESOURCE, { sortBy: 'emails' }, limits), 'invalidValue', /emails/)
  expectScimError(t, () => prepareListQuery(USER_RESOURCE, { cursor: '', startIndex: '1' }, limits), 'invalidValue', /cursor|startIndex/)
})
