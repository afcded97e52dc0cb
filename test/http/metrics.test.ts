/**
 * GET /metrics: Prometheus text an operator can scrape, with the figures that matter during
 * an incident, and a bearer token when METRICS_TOKEN is set.
 */
import t from 'tap'
import { build } from '../helpers/app.js'
import { usingEmbedded } from '../helpers/database.js'

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User'
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group'
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp'
const JSON_TYPE = { 'content-type': 'application/scim+json' }

/** The value of one sample (`name{labels} value`), or undefined when absent. */
function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue
    const labelText = line.slice(name.length).startsWith('{') ? line.slice(name.length + 1, line.indexOf('}')) : ''
    const present = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(m => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

t.test('metrics', async t => {
  const { app, auth } = await build(t, { RATE_LIMIT_PER_MINUTE: '4' })
  const scrape = async () => {
    const response = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(response.statusCode, 200)
    t.match(response.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    return response.body
  }

  const user = (await app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [USER], userName: 'm@example.com' } })).json()
  const group = (await app.inject({ method: 'POST', url: '/scim/v2/Groups', headers: { ...auth, ...JSON_TYPE }, payload: { schemas: [GROUP], displayName: 'G', members: [{ value: user.id }] } })).json()
  await app.inject({
    method: 'PATCH', url: `/scim/v2/Groups/${group.id}`, headers: { ...auth, ...JSON_TYPE },
    payload: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${user.id}"]` }] }
  })
  await app.inject({ method: 'GET', url: '/scim/v2/Users/00000000-0000-0000-0000-000000000000', headers: auth })
  const limited = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })
  t.equal(limited.statusCode, 429, 'the fifth request of the minute is refused')

  const text = await scrape()
  t.equal(sample(text, 'scim_http_requests_total', { method: 'POST', route: '/scim/v2/Users', status: '201' }), 1, 'requests by route and status')
  t.equal(sample(text, 'scim_http_requests_total', { method: 'GET', route: '/scim/v2/Users/:id', status: '404' }), 1, 'route patterns, never ids')
  t.notMatch(text, /00000000-0000/, 'no ids in labels')
  t.equal(sample(text, 'scim_http_request_duration_seconds_count', { method: 'PATCH', route: '/scim/v2/Groups/:id', status: '204' }), 1, 'a latency histogram')
  t.ok(text.includes('scim_http_request_duration_seconds_bucket{le="0.005",method="PATCH"'), 'with buckets')
  t.equal(sample(text, 'scim_rate_limited_requests_total', { limit: 'rate' }), 1, '429s by limit')
  t.equal(sample(text, 'scim_group_membership_changes_total'), 2, 'membership changes: one added, one removed')
  t.ok((sample(text, 'nodejs_eventloop_lag_p99_seconds') ?? -1) >= 0, 'event-loop delay')
  t.ok(text.includes('# TYPE scim_database_errors_total counter'), 'database errors and timeouts')
  if (usingEmbedded()) {
    t.notOk(text.includes('scim_database_pool_connections'), 'no pool on embedded Postgres')
  } else {
    t.ok((sample(text, 'scim_database_pool_connections', { state: 'idle' }) ?? -1) >= 1, 'pool connections idle')
    // The positioning pass after a write (services/event-positioner.ts) takes a
    // connection for a moment just after it: read the pool once that is done.
    let quiet = text
    for (let i = 0; i < 100 && sample(quiet, 'scim_database_pool_connections', { state: 'in_use' }) !== 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 20))
      quiet = await scrape()
    }
    t.equal(sample(quiet, 'scim_database_pool_connections', { state: 'in_use' }), 0, 'and in use')
    t.equal(sample(text, 'scim_database_pool_waiting'), 0, 'and callers waiting')
  }
})

t.test('METRICS_TOKEN', async t => {
  const { app, auth } = await build(t, { METRICS_TOKEN: 'metrics-secret-0123456789' })
  const none = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(none.statusCode, 401, 'refused without the token')
  t.match(none.headers['www-authenticate'], /^Bearer/)
  t.equal((await app.inject({ method: 'GET', url: '/metrics', headers: auth })).statusCode, 401, 'an organization token is not the metrics token')
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-secret-0123456789' } })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, /scim_http_requests_total/)
})
