import t from 'tap'
import { build } from '../helpers/app.js'

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error'

t.test('authentication under /scim/v2', async t => {
  const { app, auth, token, services, logs, tokenFor } = await build(t)

  t.test('no token is 401 with a SCIM body and WWW-Authenticate', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/Users' })
    t.equal(res.statusCode, 401)
    t.match(res.headers['www-authenticate'], /^Bearer/)
    t.match(res.headers['content-type'], 'application/scim+json; charset=utf-8')
    t.match(res.json(), { schemas: [ERROR_URN], status: '401', detail: String })
  })

  t.test('a wrong token is 401', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: 'Bearer scim_not-a-real-token' } })
    t.equal(res.statusCode, 401)
    t.match(res.headers['www-authenticate'], /^Bearer/)
    t.equal(res.json().status, '401')
  })

  t.test('an empty Bearer is 401', async t => {
    const res = await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: 'Bearer ' } })
    t.equal(res.statusCode, 401)
  })

  t.test('a valid token is accepted with or without the Bearer prefix, any case', async t => {
    for (const authorization of [auth.authorization, token, `bearer ${token}`, `BEARER  ${token}`]) {
      const res = await app.inject({ method: 'GET', url: '/scim/v2/ServiceProviderConfig', headers: { authorization } })
      t.not(res.statusCode, 401, authorization.slice(0, 8))
    }
  })

  t.test('a revoked token is 401 from the next request on', async t => {
    const created = await services.tokens.create('acme')
    const headers = { authorization: `Bearer ${created.token}` }
    t.not((await app.inject({ method: 'GET', url: '/scim/v2/Users', headers })).statusCode, 401)
    t.equal(await services.tokens.revoke(created.id), true)
    t.equal((await app.inject({ method: 'GET', url: '/scim/v2/Users', headers })).statusCode, 401)
    t.equal(await services.tokens.revoke(created.id), false, 'revoking twice reports nothing to revoke')
  })

  t.test('each token acts for its own organization', async t => {
    const other = await tokenFor('globex')
    logs.length = 0
    await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: other })
    await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })
    const orgs = logs.filter(l => l.msg === 'request').map(l => l.organization)
    t.same(orgs, ['globex', 'acme'])
  })

  t.test('health endpoints need no token', async t => {
    t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
  })

  t.test('the token never appears in logs', async t => {
    logs.length = 0
    await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: auth })
    t.ok(logs.length > 0)
    t.notOk(JSON.stringify(logs).includes(token))
  })
})

t.test('last use is recorded', async t => {
  const { app, services } = await build(t)
  const created = await services.tokens.create('initech')
  t.equal((await services.tokens.list('initech'))[0]?.lastUsedAt, null)
  await app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: created.token } })
  t.type((await services.tokens.list('initech'))[0]?.lastUsedAt, Date)
})

t.test('SCIM_BEARER_TOKEN is accepted for default; changing it retires the previous value', async t => {
  const { services } = await build(t)
  t.equal(await services.tokens.bootstrap('first-configured-token'), undefined, 'nothing is printed for a configured token')
  t.match(await services.tokens.authenticate('first-configured-token'), { name: 'default' })
  await services.tokens.bootstrap('first-configured-token')
  t.ok(await services.tokens.authenticate('first-configured-token'), 'a restart with the same value keeps it')
  await services.tokens.bootstrap('second-configured-token')
  t.match(await services.tokens.authenticate('second-configured-token'), { name: 'default' })
  t.equal(await services.tokens.authenticate('first-configured-token'), undefined, 'the rotated-out value no longer works')
})

t.test('a first start with no token at all creates one for default, once', async t => {
  const { services, db } = await build(t)
  await db.deleteFrom('api_tokens').execute()
  const created = await services.tokens.bootstrap(undefined)
  t.match(created, { organization: { name: 'default' }, token: /^scim_/ })
  t.match(await services.tokens.authenticate(created!.token), { name: 'default' })
  t.equal(await services.tokens.bootstrap(undefined), undefined, 'not again once a token exists')
})
