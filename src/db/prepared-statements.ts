/**
 * Which statements a pooled pg client sends as named (prepared) statements.
 *
 * An unnamed statement is parsed, analysed and planned by Postgres on every execution; for the
 * service's hot queries (a user with its groups, a filtered page with its total) that is most
 * of what Postgres spends on them: on this repository's benchmark data, one filtered page took
 * about 400 µs unnamed and 60 µs prepared on one connection. A named statement is parsed once
 * per connection and its plan cached (Postgres keeps using custom plans where a generic one
 * would be worse; see `plan_cache_mode`).
 *
 * Bounded on purpose: statement texts depend on the shape of a client's filter, so a hostile
 * client could otherwise make every connection keep thousands of plans. A text is named only
 * once it has been seen HOT_AFTER times (a one-off shape stays unnamed), each connection
 * prepares at most `perConnection` statements (later ones run unnamed), and the table of texts
 * seen is cleared when it outgrows MAX_TRACKED. Only plannable statements are named;
 * transaction control and SET go unnamed as before.
 */
const HOT_AFTER = 2
const MAX_TRACKED = 4096
const PLANNABLE = /^\s*(select|insert|update|delete|with)\b/i

export class PreparedStatements {
  readonly #seen = new Map<string, number>()
  readonly #names = new Map<string, string>()
  #next = 0

  constructor (readonly perConnection: number) {}

  /**
   * The name to send `text` under on a connection that has prepared `prepared` (its own
   * record of names), or undefined to send it unnamed.
   */
  nameFor (text: string, prepared: Set<string>): string | undefined {
    const known = this.#names.get(text)
    if (known !== undefined && prepared.has(known)) return known
    if (prepared.size >= this.perConnection || !PLANNABLE.test(text)) return undefined
    if (known !== undefined) {
      prepared.add(known)
      return known
    }
    const seen = (this.#seen.get(text) ?? 0) + 1
    if (seen < HOT_AFTER) {
      if (this.#seen.size >= MAX_TRACKED) this.#seen.clear()
      this.#seen.set(text, seen)
      return undefined
    }
    this.#seen.delete(text)
    // Names stay valid on the connections that prepared them, so the table of names is only
    // dropped, never reused: a text named again later gets a fresh name.
    if (this.#names.size >= MAX_TRACKED) this.#names.clear()
    const name = `scim_${(this.#next++).toString(36)}`
    this.#names.set(text, name)
    prepared.add(name)
    return name
  }
}
