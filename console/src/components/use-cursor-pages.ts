import { useState } from 'preact/hooks'
import type { ListPage, PageRequest } from '../api/scim-client.js'
import { useAsync } from './use-async.js'

/**
 * RFC 9865 cursor paging of a server list: each page is asked for with the cursor the
 * previous answer gave, so page 1000 costs what page 1 costs and nothing else is held.
 * Changing `key` (a search, a group) starts again from the first page.
 */
export function useCursorPages<T> (key: string, pageSize: number, fetchPage: (page: PageRequest) => Promise<ListPage<T>>) {
  const [position, setPosition] = useState<{ key: string, cursor: string | undefined, number: number }>({ key, cursor: undefined, number: 1 })
  const current = position.key === key ? position : { key, cursor: undefined, number: 1 }
  const state = useAsync(async () => await fetchPage({ count: pageSize, ...(current.cursor !== undefined ? { cursor: current.cursor } : {}) }), [key, current.cursor])
  const page = state.value
  return {
    ...state,
    pageNumber: current.number,
    pageSize,
    next: page?.nextCursor === undefined ? undefined : () => { setPosition({ key, cursor: page.nextCursor, number: current.number + 1 }) },
    previous: page?.previousCursor === undefined || current.number <= 1
      ? undefined
      : () => { setPosition({ key, cursor: current.number === 2 ? undefined : page.previousCursor, number: current.number - 1 }) },
    first: () => { setPosition({ key, cursor: undefined, number: 1 }) }
  }
}
