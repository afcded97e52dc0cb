import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import t from 'tap'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js'
import { FULL_ACCESS } from '../../src/services/token-scopes.js'
import { hashToken, TokenService } from '../../src/services/token.service.js'
import { createTestDatabase } from '../helpers/database.js'

t.test('tokens from before migration 0006 keep full access; new rows must name their scopes', async t => {
  const { db } = await createTestDatabase(t)
  await sql`drop schema public cascade`.execute(db)
  await sql`create schema public`.execute(db)
  const before = await fs.mkdtemp(path.join(os.tmpdir(), 'migrations-'))
  t.teardown(() => fs.rm(before, { recursive: true, force: true }))
  for (const file of await fs.readdir(MIGRATIONS_DIR)) {
    if (file < '0006') await fs.copyFile(path.join(MIGRATIONS_DIR, file), path.join(before, file))
  }
  await migrate(db, before)
  // A token as the service wrote them before scopes existed.
  await sql`insert into organizations (name) values ('acme')`.execute(db)
  await sql`insert into api_tokens (organization_id, token_hash, label)
    select id, ${hashToken('scim_old-token')}, 'Okta' from organizations where name = 'acme'`.execute(db)

  const result = await migrate(db)
  t.ok(result.applied.some(name => name.startsWith('0006_')), 'migration 0006 ran')
  const tokens = new TokenService(db)
  t.same((await tokens.authenticate('scim_old-token'))?.scopes, FULL_ACCESS, 'every scope')
  t.match(await tokens.list('acme'), [{ label: 'Okta', expiresAt: null, rotatedFrom: null, scopes: FULL_ACCESS }])

  const orgId = sql`(select id from organizations where name = 'acme')`
  await t.rejects(sql`insert into api_tokens (organization_id, token_hash) values (${orgId}, 'h1')`.execute(db), /scopes/,
    'an insert that forgets the scopes fails instead of granting everything')
  await t.rejects(sql`insert into api_tokens (organization_id, token_hash, scopes) values (${orgId}, 'h2', '{scim:write}')`.execute(db),
    /api_tokens__scopes__check/, 'write without read is refused')
  await t.rejects(sql`insert into api_tokens (organization_id, token_hash, scopes) values (${orgId}, 'h3', '{scim:admin}')`.execute(db),
    /api_tokens__scopes__check/, 'unknown scope names are refused')
  await t.rejects(sql`insert into api_tokens (organization_id, token_hash, scopes) values (${orgId}, 'h4', '{}')`.execute(db),
    /api_tokens__scopes__check/, 'no scope at all is refused')
})
