interface PagerProps {
  readonly label: string
  readonly pageNumber: number
  readonly pageSize: number
  readonly shown: number
  readonly total: number | undefined
  readonly previous: (() => void) | undefined
  readonly next: (() => void) | undefined
}

/** Previous / next for a cursor-paged list, with where the visible rows sit in the total. */
export function Pager (props: PagerProps) {
  const start = (props.pageNumber - 1) * props.pageSize
  const range = props.shown === 0 ? 'No results' : `${(start + 1).toLocaleString('en-US')}–${(start + props.shown).toLocaleString('en-US')}`
  const of = props.total === undefined ? '' : ` of ${props.total.toLocaleString('en-US')}`
  return (
    <nav class='pager' aria-label={props.label}>
      <span class='pager-range' aria-live='polite'>{range}{props.shown === 0 ? '' : of}</span>
      <button type='button' onClick={props.previous} disabled={props.previous === undefined}>Previous page</button>
      <button type='button' onClick={props.next} disabled={props.next === undefined}>Next page</button>
    </nav>
  )
}
