/** Hostile input to the change feed's parameters and the receiver registration: never a 5xx. */
import fc from 'fast-check'
import t from 'tap'
import { build } from '../helpers/app.js'

t.test('feed parameters and receiver bodies: never a 5xx', async t => {
  const { app, auth } = await build(t, { PUBLIC_BASE_URL: 'https://id.example.test' })
  const text = fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.base64String({ maxLength: 80 }),
    fc.constantFrom('ZXYxLjE', 'ZXYxLjk5OTk5OTk5OTk5OTk5OTk5OTk', 'ZXYxLi0x', '', '%00', '../', 'ev1.1'))
  await fc.assert(fc.asyncProperty(
    fc.record({ after: text, resourceId: text, resourceType: text, limit: fc.oneof(text, fc.integer().map(String)) }, { requiredKeys: [] }),
    async query => {
      const search = new URLSearchParams(Object.entries(query) as Array<[string, string]>)
      const response = await app.inject({ method: 'GET', url: `/api/v1/events?${search.toString()}`, headers: auth })
      return response.statusCode === 200 || response.statusCode === 400
    }), { numRuns: 300 })
  await fc.assert(fc.asyncProperty(
    fc.oneof(fc.anything(), fc.record({ url: text, audience: fc.oneof(text, fc.anything()) }, { requiredKeys: [] })),
    async body => {
      const response = await app.inject({ method: 'POST', url: '/api/v1/receivers', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null' })
      return response.statusCode < 500
    }), { numRuns: 200 })
  t.pass('no 5xx')
})
