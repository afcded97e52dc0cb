import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { createTestDatabase } from '../helpers/database.js'

t.test('health', async t => {
  const handle = await createTestDatabase(t)
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { db: handle.db })
  t.teardown(() => app.close())

  const live = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(live.statusCode, 200)
  t.same(live.json(), { status: 'ok' })

  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok' })

  await handle.close()
  const down = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(down.statusCode, 503, 'readiness fails once the database is gone')
  t.match(down.json(), { status: '503' })
  t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness does not depend on the database')
})
