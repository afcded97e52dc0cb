/**
 * Request bodies: `application/scim+json` and `application/json`, with or without charset,
 * are JSON (RFC 7644 §3.1; clients send both). An empty body with a JSON content type means
 * no body: Okta sends `Content-Type: application/scim+json` on DELETE and GET. Anything else
 * with a body is 415 (mapped by the error handler).
 */
import type { FastifyInstance } from 'fastify'
import { ScimError } from '../../scim/errors.js'
import { JSON_MEDIA_TYPES } from '../scim-media.js'

export function registerContentTypes (app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser([...JSON_MEDIA_TYPES], { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    parseJson(request, text, (error, value) => {
      if (error !== null) {
        done(ScimError.invalidSyntax(`The request body is not valid JSON: ${error.message}`), undefined)
        return
      }
      done(null, value)
    })
  })
}
