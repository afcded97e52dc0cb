/**
 * Queries whose SQL text never depends on their values, built and compiled by Kysely once per
 * process instead of once per call. Building a query tree and compiling it took about a fifth
 * of the service's CPU on a user PATCH (the read and the conditional write, each rebuilt for
 * every request); the text was the same every time, only the values changed.
 *
 * The builder is given `param(name)`, which stands for the value `name` of each call: it may
 * go wherever Kysely takes a value (a comparison, `set`, `values`, `limit`, a `sql` template)
 * and is sent as a bind parameter, never written into the SQL text. Anything that changes the
 * text (an optional column, `$if`, a list expanded into `in (…)`) must be decided outside the
 * builder, one compiled query per shape. The first compile checks that every value a builder
 * asked for became a parameter, so a misuse fails the first call, not a later one silently.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult, RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'

type Executor = Kysely<Database>

const SLOT = Symbol('compiled-once value')

interface Slot { readonly [SLOT]: string }

function isSlot (value: unknown): value is Slot {
  return typeof value === 'object' && value !== null && SLOT in value
}

export type Param<V> = <K extends keyof V & string>(name: K) => V[K]

export type CompiledOnceQuery<V, R> = (db: Executor, values: V) => Promise<QueryResult<R>>

/** A query builder, or a `sql` template (which compiles against an executor). */
type Buildable<R> = Compilable<R> | RawBuilder<R>

export function compiledOnce<V extends object, R> (
  build: (db: Executor, param: Param<V>) => Buildable<R>
): CompiledOnceQuery<V, R> {
  let template: { compiled: CompiledQuery<R>, bind: (values: V) => unknown[] } | undefined
  return async (db, values) => {
    template ??= compileTemplate(db, build)
    return await db.executeQuery<R>({ ...template.compiled, parameters: template.bind(values) })
  }
}

function compileTemplate<V extends object, R> (
  db: Executor, build: (db: Executor, param: Param<V>) => Buildable<R>
): { compiled: CompiledQuery<R>, bind: (values: V) => unknown[] } {
  const asked = new Set<string>()
  const param = (<K extends keyof V & string>(name: K): V[K] => {
    asked.add(name)
    return Object.freeze({ [SLOT]: name }) as unknown as V[K]
  })
  // Compilable.compile() takes no executor and ignores it; RawBuilder.compile needs one.
  const compiled = (build(db, param) as { compile (executor: Executor): CompiledQuery<R> }).compile(db)
  const names = compiled.parameters.map(value => isSlot(value) ? value[SLOT] : undefined)
  const unbound = [...asked].filter(name => !names.includes(name))
  if (unbound.length > 0) throw new Error(`compiledOnce: ${unbound.join(', ')} did not become bind parameters of: ${compiled.sql}`)
  const constants = compiled.parameters
  return {
    compiled,
    bind: values => names.map((name, i) => {
      if (name === undefined) return constants[i]
      if (!(name in values)) throw new Error(`compiledOnce: no value for ${name}`)
      return (values as Record<string, unknown>)[name]
    })
  }
}
