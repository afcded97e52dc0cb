import t from 'tap'
import { readPatchOperations } from '../../src/scim/patch/patch-request.js'
import { expectScimError } from './expect-scim-error.js'

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'

t.test('reads Operations from a PatchOp body', async t => {
  const ops = [{ op: 'add', path: 'members', value: [] }]
  t.same(readPatchOperations({ schemas: [PATCH_OP], Operations: ops }), ops)
  t.same(readPatchOperations({ schemas: [PATCH_OP.toUpperCase()], operations: ops }), ops, 'names in any case')
  t.same(readPatchOperations({ Operations: [] }), [], 'schemas may be left out')
})

t.test('anything else is 400 invalidSyntax', async t => {
  for (const body of [undefined, null, [], 'x', { schemas: ['urn:other'], Operations: [] }, { schemas: [PATCH_OP] }, { schemas: [PATCH_OP], Operations: {} }]) {
    expectScimError(t, () => readPatchOperations(body), 'invalidSyntax', /PatchOp|Operations/, JSON.stringify(body))
  }
})
