/**
 * Request bodies: `application/scim+json` and `application/json`, with or without charset,
 * are JSON (RFC 7644 §3.1; clients send both). An empty body with a JSON content type means
 * no body: Okta sends `Content-Type: application/scim+json` on DELETE and GET. Anything else
 * with a body is 415 (mapped by the error handler).
 *
 * JSON is UTF-8 (RFC 8259 §8.1): a declared charset other than UTF-8 is 415 rather than a
 * body decoded as something the client did not mean, and bytes that are not UTF-8 are 400
 * (never replaced by U+FFFD behind the client's back). Depth and lone surrogates are refused
 * here, before any code walks the body (see scim/json-input.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ScimError } from '../../scim/errors.js'
import { checkJsonDepth, checkWellFormedText } from '../../scim/json-input.js'
import { JSON_MEDIA_TYPES } from '../scim-media.js'

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** The `charset` parameter of the Content-Type header, lower-cased and unquoted. */
function declaredCharset (request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'] ?? ''
  for (const param of header.split(';').slice(1)) {
    const [name, ...rest] = param.split('=')
    if (name?.trim().toLowerCase() !== 'charset') continue
    return rest.join('=').trim().replace(/^"(.*)"$/, '$1').toLowerCase()
  }
  return undefined
}

function decodeBody (request: FastifyRequest, body: Buffer): string {
  const charset = declaredCharset(request)
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw ScimError.unsupportedMediaType(`The body is declared as charset=${charset}; send JSON as UTF-8 (RFC 8259 §8.1).`)
  }
  try {
    return UTF8.decode(body)
  } catch {
    throw ScimError.invalidSyntax('The request body is not valid UTF-8.')
  }
}

export function registerContentTypes (app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser([...JSON_MEDIA_TYPES], { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = decodeBody(request, typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
      if (text.trim() === '') {
        done(null, undefined)
        return
      }
      checkJsonDepth(text)
    } catch (error) {
      done(error as Error, undefined)
      return
    }
    parseJson(request, text, (error, value) => {
      if (error !== null) {
        done(ScimError.invalidSyntax(`The request body is not valid JSON: ${error.message}`), undefined)
        return
      }
      try {
        checkWellFormedText(value)
      } catch (refusal) {
        done(refusal as Error, undefined)
        return
      }
      done(null, value)
    })
  })
}
