import t from 'tap'
import { ScimError } from '../../src/scim/errors.js'

t.test('named constructors carry status and scimType', async t => {
  const e = ScimError.uniqueness('userName "a" is taken')
  t.equal(e.status, 409)
  t.equal(e.scimType, 'uniqueness')
  t.equal(e.detail, 'userName "a" is taken')
  const u = ScimError.unauthorized()
  t.equal(u.status, 401)
  t.match(u.headers, { 'WWW-Authenticate': /^Bearer/ })
})
