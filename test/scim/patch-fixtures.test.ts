/**
 * Every PATCH form of CLIENTS.md as a fixture in test/fixtures/patch/*.json: the resource
 * before, the operations, and either the resource after plus the member changes, or the error.
 */
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { applyPatch } from '../../src/scim/patch/apply-patch.js'
import { GROUP_RESOURCE, USER_RESOURCE } from '../../src/scim/schema/registry.js'
import { expectScimError } from './expect-scim-error.js'

interface PatchFixture {
  description: string
  resourceType: 'User' | 'Group'
  resource: Record<string, unknown>
  operations: unknown[]
  expected?: Record<string, unknown>
  expectedMembers?: unknown[]
  error?: { status: number, scimType: string, detail: string }
}

const dir = join(import.meta.dirname, '..', 'fixtures', 'patch')
const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort()

t.ok(files.length >= 70, 'the fixtures are there')

for (const file of files) {
  const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PatchFixture
  t.test(`${file}: ${fixture.description}`, async t => {
    const resource = fixture.resourceType === 'User' ? USER_RESOURCE : GROUP_RESOURCE
    const before = structuredClone(fixture.resource)
    const run = (): unknown => applyPatch(resource, fixture.resource, fixture.operations, { resourceId: String(fixture.resource.id) })
    if (fixture.error !== undefined) {
      t.equal(fixture.error.status, 400)
      expectScimError(t, run, fixture.error.scimType as never, new RegExp(fixture.error.detail), file)
    } else {
      const result = applyPatch(resource, fixture.resource, fixture.operations, { resourceId: String(fixture.resource.id) })
      t.same(result.resource, fixture.expected, 'resource after')
      t.same(result.members, fixture.expectedMembers ?? [], 'member changes')
      t.notOk('members' in result.resource && !('members' in fixture.resource), 'members are never written into the group')
    }
    t.same(fixture.resource, before, 'the input resource is never modified')
  })
}
