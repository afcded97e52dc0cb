import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export type AsyncState<T> =
  | { readonly status: 'loading', readonly value?: T }
  | { readonly status: 'done', readonly value: T }
  | { readonly status: 'failed', readonly error: unknown, readonly value?: T }

/**
 * Runs `load` whenever `deps` change and keeps the latest answer only: a slow answer to an
 * older search never replaces a newer one. `reload` runs it again.
 */
export function useAsync<T> (load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' })
  const [generation, setGeneration] = useState(0)
  const latest = useRef(0)
  useEffect(() => {
    const run = ++latest.current
    setState(previous => ({ status: 'loading', ...(previous.value !== undefined ? { value: previous.value } : {}) }))
    load().then(
      value => { if (run === latest.current) setState({ status: 'done', value }) },
      (error: unknown) => { if (run === latest.current) setState({ status: 'failed', error }) }
    )
  }, [...deps, generation])
  const reload = useCallback(() => { setGeneration(n => n + 1) }, [])
  return { ...state, reload }
}
