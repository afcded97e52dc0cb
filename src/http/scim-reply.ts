/**
 * Sends a service's ScimDocument. A body built in memory goes out as usual; one holding
 * StreamedArrays is written to the socket as it is serialized (scim/json-stream.ts), with
 * backpressure: the next page is read from the database only when the socket has taken the
 * previous one, so memory per response is about a page.
 *
 * Status and headers are decided before the first byte: everything that can refuse a request
 * (not found, If-None-Match, MAX_INLINE_MEMBERS) is checked by the service before it returns,
 * and the first chunk is only handed on once the first page has been read, so a failing first
 * page is still an ordinary SCIM error. A failure after that (the database going away in the
 * middle of a million members) cannot change a status already sent: the connection is
 * destroyed and the chunked body never terminated, so a client sees a broken transfer, never
 * a shorter list that parses. A client that disconnects destroys the stream; either way the
 * snapshot is released (its transaction ends, the pool gets the connection back).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Readable } from 'node:stream'
import { hasStreamedArray, serializeJsonChunks } from '../scim/json-stream.js'
import type { ScimDocument } from '../services/scim-document.js'
import { SCIM_CONTENT_TYPE } from './scim-media.js'

export async function sendScimDocument (request: FastifyRequest, reply: FastifyReply, document: ScimDocument, status = 200): Promise<FastifyReply> {
  if (!hasStreamedArray(document.body)) {
    await document.release()
    return await reply.code(status).send(document.body)
  }
  const stream = Readable.from(serializeJsonChunks(document.body), { objectMode: false })
  stream.once('close', () => {
    if (!stream.readableEnded) request.log.info({ path: request.url.split('?')[0] }, 'streamed response abandoned before its end')
    void document.release()
  })
  return await reply.code(status).type(SCIM_CONTENT_TYPE).send(stream)
}
