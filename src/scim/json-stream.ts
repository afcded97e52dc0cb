/**
 * JSON text produced piece by piece, for responses too large to hold as one string (a group
 * of a million members is ~100 MB of JSON; V8 cannot even build a string of 1 GB).
 *
 * A document is an ordinary JSON value in which some arrays are `StreamedArray`s: their
 * elements arrive in pages from an async source (keyset pages of a database read). The
 * document around them is serialized with JSON.stringify, so key order and escaping are the
 * standard ones; each streamed array is spliced in where it stands, page by page. Memory per
 * document is the document without its streamed arrays plus one page.
 *
 * The text is valid JSON only once the last chunk is out: a consumer that stops early (an
 * error after the first chunk) must discard what it has, and an HTTP response must then be
 * aborted, never ended (see http/scim-reply.ts).
 */
import { randomUUID } from 'node:crypto'

/** An array whose elements come in pages. `nested`: elements may hold StreamedArrays themselves. */
export class StreamedArray {
  constructor (
    readonly pages: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
    readonly nested = false
  ) {}
}

/**
 * True when `value` holds a StreamedArray within `depth` levels (a document that must be
 * streamed). Responses put them at most three levels down (ListResponse → Resources →
 * resource → members), so a large complete body is not walked element by element.
 */
export function hasStreamedArray (value: unknown, depth = 3): boolean {
  if (value instanceof StreamedArray) return true
  if (depth === 0 || value === null || typeof value !== 'object') return false
  // Loops rather than Object.values(): a page of 100 resources is walked on every list response.
  if (Array.isArray(value)) {
    for (const child of value) if (hasStreamedArray(child, depth - 1)) return true
    return false
  }
  for (const key in value) if (hasStreamedArray((value as Record<string, unknown>)[key], depth - 1)) return true
  return false
}

/** Chunks of at least this size are handed on (except the last): fewer, larger socket writes. */
const CHUNK_BYTES = 64 * 1024

/** The JSON text of `document`, in chunks of about CHUNK_BYTES (a page may make one larger). */
export async function * serializeJsonChunks (document: unknown): AsyncGenerator<string, void, undefined> {
  let buffer = ''
  for await (const piece of pieces(document)) {
    buffer += piece
    if (buffer.length >= CHUNK_BYTES) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer !== '') yield buffer
}

/** The whole text (tests, and callers that know the document is small). */
export async function serializeJson (document: unknown): Promise<string> {
  let text = ''
  for await (const chunk of serializeJsonChunks(document)) text += chunk
  return text
}

async function * pieces (value: unknown): AsyncGenerator<string, void, undefined> {
  if (value instanceof StreamedArray) {
    yield * arrayPieces(value)
    return
  }
  const arrays: StreamedArray[] = []
  // A marker no data can contain: a fresh random id per document.
  const marker = randomUUID()
  const text = JSON.stringify(value, (_key, item: unknown) => item instanceof StreamedArray ? `${marker}:${arrays.push(item) - 1}` : item)
  if (arrays.length === 0) {
    yield text
    return
  }
  const pattern = new RegExp(`"${marker}:(\\d+)"`, 'g')
  let last = 0
  for (const match of text.matchAll(pattern)) {
    yield text.slice(last, match.index)
    yield * arrayPieces(arrays[Number(match[1])] as StreamedArray)
    last = match.index + match[0].length
  }
  yield text.slice(last)
}

async function * arrayPieces (array: StreamedArray): AsyncGenerator<string, void, undefined> {
  yield '['
  let first = true
  for await (const page of array.pages) {
    if (page.length === 0) continue
    if (!array.nested) {
      // One stringify per page: `[a,b]` without its brackets.
      yield (first ? '' : ',') + JSON.stringify(page).slice(1, -1)
      first = false
      continue
    }
    for (const element of page) {
      if (!first) yield ','
      first = false
      yield * pieces(element)
    }
  }
  yield ']'
}
