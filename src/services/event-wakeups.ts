/**
 * Wake-ups for whoever waits for an organization's next events (streams, delivery). Only a
 * signal, never data: waiters read the event table afterwards, so a lost or duplicated
 * signal costs latency (bounded by the poll interval), never an event.
 */
export class EventWakeups {
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly anyWaiters = new Set<() => void>()

  /** An event of `organizationId` committed (or, without an id, maybe any organization's). */
  notify (organizationId?: string): void {
    const wake = (set: Set<() => void> | undefined): void => { for (const waiter of [...(set ?? [])]) waiter() }
    if (organizationId === undefined) for (const set of this.waiters.values()) wake(set)
    else wake(this.waiters.get(organizationId))
    wake(this.anyWaiters)
  }

  /**
   * Resolves on the next notification for the organization (undefined: any), after `timeoutMs`,
   * or when `signal` aborts, whichever is first.
   */
  async wait (organizationId: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return
    await new Promise<void>(resolve => {
      const set = organizationId === undefined ? this.anyWaiters : this.setOf(organizationId)
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        set.delete(done)
        if (organizationId !== undefined && set.size === 0) this.waiters.delete(organizationId)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      timer.unref()
      signal?.addEventListener('abort', done)
      set.add(done)
    })
  }

  private setOf (organizationId: string): Set<() => void> {
    let set = this.waiters.get(organizationId)
    if (set === undefined) {
      set = new Set()
      this.waiters.set(organizationId, set)
    }
    return set
  }
}
