/**
 * A database failure while members are streamed: before the first byte it is an ordinary
 * SCIM error; after it the status cannot change, so the connection is destroyed and the body
 * never terminated (never a shorter list that parses). Failures are injected by a Kysely
 * plugin that fails chosen member-page reads.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import type { Db } from '../../src/db/database.js'
import { buildApp } from '../../src/http/app.js'
import { createServices } from '../../src/services/services.js'
import { createTestDatabase } from '../helpers/database.js'
import { organizationId } from './group-helpers.js'

/** Fails the member-page reads whose number (1-based, counted from `arm`) is in `failing`. */
class FailingMemberPages implements KyselyPlugin {
  failing = new Set<number>()
  private seen = 0
  arm (failing: number[]): void { this.failing = new Set(failing); this.seen = 0 }
  transformQuery (args: PluginTransformQueryArgs): RootOperationNode { return args.node }
  async transformResult (args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const columns = args.result.rows[0] !== undefined ? Object.keys(args.result.rows[0]) : []
    if (columns.includes('user_id') && columns.includes('user_name') && this.failing.has(++this.seen)) {
      throw new Error('connection lost (injected)')
    }
    return args.result
  }
}

async function seedGroup (db: Db, organization: string, count: number): Promise<string> {
  const group = await db.insertInto('groups').values({ organization_id: organization, display_name: 'Failing', attributes: '{}' })
    .returning('id').executeTakeFirstOrThrow()
  await sql`
    insert into users (organization_id, user_name, display_name, user_type, active, attributes)
    select ${organization}::uuid, 'f' || i || '@example.com', 'F ' || i, 'customer', true, '{}'::jsonb
    from generate_series(1, ${count}::int) as i`.execute(db)
  await sql`
    insert into group_members (organization_id, group_id, user_id)
    select ${organization}::uuid, ${group.id}::uuid, id from users where organization_id = ${organization}::uuid`.execute(db)
  return group.id
}

interface Outcome { status: number, body: string, aborted: boolean }

function get (port: number, path: string, authorization: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { authorization }, agent: false }, res => {
      let body = ''
      let aborted = false
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('aborted', () => { aborted = true })
      res.on('error', () => { aborted = true })
      res.on('close', () => resolve({ status: res.statusCode ?? 0, body, aborted: aborted || !res.complete }))
    }).on('error', reject)
  })
}

t.test('a failure while members stream', async t => {
  const handle = await createTestDatabase(t)
  const plugin = new FailingMemberPages()
  const db = handle.db.withPlugin(plugin)
  const config = loadConfig({ LOG_LEVEL: 'silent' })
  const services = createServices(db, config)
  const app = await buildApp(config, { db, services })
  t.teardown(() => app.close())
  const { token } = await services.tokens.create('acme')
  const id = await seedGroup(db, await organizationId(db), 20_001)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const path = `/scim/v2/Groups/${id}`

  t.test('on the first page: an ordinary SCIM error, nothing streamed', async t => {
    plugin.arm([1])
    const res = await get(port, path, `Bearer ${token}`)
    t.equal(res.status, 500)
    t.match(JSON.parse(res.body), { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500' })
    t.notOk(res.aborted)
  })

  t.test('after the first page: the connection is destroyed, the body never parses', async t => {
    plugin.arm([2])
    const res = await get(port, path, `Bearer ${token}`)
    t.equal(res.status, 200, 'the status was already sent')
    t.ok(res.aborted, 'the transfer is broken, not ended')
    t.ok(res.body.length > 0, 'the first page was sent')
    t.throws(() => JSON.parse(res.body), 'what arrived is not a shorter list that parses')
  })

  t.test('and the service goes on: the snapshot was released', async t => {
    plugin.arm([])
    const res = await get(port, path, `Bearer ${token}`)
    t.equal(res.status, 200)
    t.notOk(res.aborted)
    t.equal(JSON.parse(res.body).members.length, 20_001)
  })
})
