import t from 'tap'
import { applyPatch } from '../../src/scim/patch/apply-patch.js'
import { seedElement } from '../../src/scim/patch/operations.js'
import { toMemberChange } from '../../src/scim/patch/members.js'
import { parseFilter } from '../../src/scim/filter/parser.js'
import { parsePath } from '../../src/scim/path.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

const USER = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'u-1', userName: 'bjensen' }

t.test('a new element is seeded from the eq terms of an and-chain only', async t => {
  t.same(seedElement(parseFilter('type eq "work" and primary eq true')), { type: 'work', primary: true })
  t.same(seedElement(parseFilter('type eq "work" and type eq "work"')), { type: 'work' })
  t.equal(seedElement(parseFilter('type eq "work" and type eq "home"')), undefined, 'contradiction')
  t.equal(seedElement(parseFilter('type eq "work" or type eq "home"')), undefined)
  t.equal(seedElement(parseFilter('type eq "work" and value co "x"')), undefined)
  t.equal(seedElement(parseFilter('not (type eq "work")')), undefined)
})

t.test('seeded creation honours the whole filter', async t => {
  const { resource } = applyPatch(USER_RESOURCE, USER, [
    { op: 'replace', path: 'emails[type eq "work" and primary eq "true"].value', value: 'b@work.com' }
  ], { resourceId: 'u-1' })
  t.same(resource.emails, [{ type: 'work', primary: true, value: 'b@work.com' }])
  expectScimError(t, () => applyPatch(USER_RESOURCE, USER, [
    { op: 'replace', path: 'emails[type eq "work" and type eq "home"].value', value: 'x' }
  ], { resourceId: 'u-1' }), 'noTarget', /cannot describe a new one/)
})

t.test('the envelope contract', async t => {
  expectScimError(t, () => applyPatch(USER_RESOURCE, USER, 'nope' as unknown as unknown[], { resourceId: 'u-1' }), 'invalidSyntax', /must be an array/)
  const same = applyPatch(USER_RESOURCE, USER, [], { resourceId: 'u-1' })
  t.not(same.resource, USER, 'always a fresh object')
  t.same(same.resource, USER)
})

t.test('member changes from paths directly', async t => {
  const members = parsePath(GROUP_RESOURCE, 'members')
  t.same(toMemberChange('remove', members, []), undefined, 'removing nobody changes nothing')
  t.same(toMemberChange('add', undefined, { value: 'a' }), { kind: 'add', ids: ['a'] })
  t.same(toMemberChange('remove', parsePath(GROUP_RESOURCE, 'members[value eq "a" or value eq "a"]'), undefined), { kind: 'remove', ids: ['a'] })
  expectScimError(t, () => toMemberChange('add', members, [{ value: '' }]), 'invalidValue', /non-empty string/)
  expectScimError(t, () => toMemberChange('add', members, ['a']), 'invalidValue', /members\[0\]/)
})

t.test('add matches existing values by content, whatever the key order, and merges repeats among the new ones', async t => {
  const current = { ...USER, emails: [{ type: 'work', value: 'a@x.example' }] }
  const { resource } = applyPatch(USER_RESOURCE, current, [
    { op: 'add', path: 'emails', value: [{ value: 'a@x.example', type: 'work' }, { value: 'b@x.example' }, { value: 'b@x.example' }] }
  ], { resourceId: 'u-1' })
  t.same(resource.emails, [{ type: 'work', value: 'a@x.example' }, { value: 'b@x.example' }])
  const { resource: primary } = applyPatch(USER_RESOURCE, { ...USER, emails: [{ value: 'a@x.example', primary: true }, { value: 'c@x.example' }] }, [
    { op: 'add', path: 'emails', value: [{ primary: true, value: 'c@x.example' }] }
  ], { resourceId: 'u-1' })
  t.same(primary.emails, [{ value: 'a@x.example' }, { value: 'c@x.example' }, { primary: true, value: 'c@x.example' }],
    'a value differing only by primary is a new value, and takes the primary flag')
})

t.test('remove with a value removes exactly the listed values, case-insensitively, in one pass', async t => {
  const emails = Array.from({ length: 2000 }, (_, i) => ({ value: `m${i}@x.example` }))
  const { resource } = applyPatch(USER_RESOURCE, { ...USER, emails }, [
    { op: 'remove', path: 'emails', value: emails.filter((_, i) => i % 2 === 0).map(e => ({ value: e.value.toUpperCase() })) }
  ], { resourceId: 'u-1' })
  t.equal((resource.emails as unknown[]).length, 1000)
  t.same((resource.emails as Array<{ value: string }>)[0], { value: 'm1@x.example' })
})
