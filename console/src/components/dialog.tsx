import type { ComponentChildren } from 'preact'
import { useLayoutEffect, useRef } from 'preact/hooks'

interface DialogProps {
  readonly title: string
  readonly onClose: () => void
  readonly children: ComponentChildren
  readonly wide?: boolean
}

/**
 * A modal <dialog>: the browser keeps focus inside it, Escape closes it, and focus goes back
 * to where it was when it closes.
 */
export function Dialog (props: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const onClose = useRef(props.onClose)
  onClose.current = props.onClose
  // Taken on the first render, which the opening click or key press caused.
  const opener = useRef(document.activeElement as HTMLElement | null)
  useLayoutEffect(() => {
    const dialog = ref.current
    if (dialog === null) return
    const returnTo = opener.current
    dialog.showModal()
    const cancel = (event: Event): void => { event.preventDefault(); onClose.current() }
    dialog.addEventListener('cancel', cancel)
    return () => {
      dialog.removeEventListener('cancel', cancel)
      if (dialog.open) dialog.close()
      // After the dialog has left the page: focusing sooner is undone by its removal.
      setTimeout(() => { if (returnTo?.isConnected === true) returnTo.focus() }, 0)
    }
  }, [])
  const titleId = `dialog-${props.title.replace(/\W+/g, '-').toLowerCase()}`
  return (
    <dialog ref={ref} class={props.wide === true ? 'dialog dialog-wide' : 'dialog'} aria-labelledby={titleId}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  )
}
