import { useEffect, useState } from 'preact/hooks'

/** The value once it has stopped changing for `ms`: a search is sent when typing pauses. */
export function useDebounced<T> (value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => { setSettled(value) }, ms)
    return () => { clearTimeout(timer) }
  }, [value, ms])
  return settled
}
