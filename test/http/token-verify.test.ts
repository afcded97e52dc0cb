/**
 * TokenService.verify answers a token whose record is cached, fresh and lately used at once,
 * without a promise (the request's authentication then takes no turn of the event loop).
 * That path must decide exactly what the lookup would: revocation through this instance at
 * once, expiry at its instant, unknown tokens never cached, use still recorded.
 */
import t from 'tap'
import { sql } from 'kysely'
import { TokenService } from '../../src/services/token.service.js'
import { createTestDatabase } from '../helpers/database.js'

const HOUR = 3_600_000

t.test('a cached token is decided at once, and decided as the lookup would', async t => {
  const { db } = await createTestDatabase(t)
  let now = Date.parse('2026-06-01T00:00:00Z')
  const tokens = new TokenService(db, () => now, { cacheTtlMs: 60_000 })
  const { token, id } = await tokens.create('acme', { expiresAt: new Date(now + HOUR) })

  const first = tokens.verify(token)
  t.ok(first instanceof Promise, 'the first use looks the token up')
  t.match(await first, { kind: 'valid', organization: { name: 'acme', tokenId: id } })
  const used = await sql<{ last_used_at: Date | null }>`select last_used_at from api_tokens where id = ${id}::uuid`.execute(db)
  t.ok(used.rows[0]?.last_used_at instanceof Date, 'its use is recorded')

  const second = tokens.verify(token)
  t.notOk(second instanceof Promise, 'the next use is answered from the cache at once')
  t.match(second, { kind: 'valid', organization: { name: 'acme', tokenId: id } })

  now += HOUR
  t.match(tokens.verify(token), { kind: 'expired' }, 'expiry is judged at use, on the cached record too')
  now -= HOUR

  const unknown = tokens.verify(`${token}x`)
  t.ok(unknown instanceof Promise, 'an unknown token is looked up')
  t.match(await unknown, { kind: 'invalid' })
  const again = tokens.verify(`${token}x`)
  t.ok(again instanceof Promise, 'and never cached')
  t.match(await again, { kind: 'invalid' })

  t.equal(await tokens.revoke(id), true)
  const revoked = tokens.verify(token)
  t.ok(revoked instanceof Promise, 'a revocation through this instance drops the cached record')
  t.match(await revoked, { kind: 'invalid' })
  t.match(tokens.verify(token), { kind: 'invalid' }, 'the revoked record, now cached, stays refused')
})
