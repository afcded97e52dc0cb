/**
 * Queries built from a request whose SQL text varies with the request (a filter's structure,
 * an optional clause), but only through a key the caller can compute cheaply: compiled once
 * per key and reused with each call's values. For the filtered user list (Entra's
 * `emails[type eq "work"].value eq`) building and compiling the Kysely tree was about a sixth
 * of the service's CPU (bench/results/compare.md), the same text for every address.
 *
 * compiled-once.ts needs the builder to pass every value through untouched; a filter compiler
 * cannot (it escapes LIKE patterns, tests uuids, parses instants). So here a template is only
 * learnt when it is proven, and nothing is assumed about the builder:
 * - the caller gives the key, the call's variable values, and the same request with a probe in
 *   place of each value (a probe must take every decision the key fixes the same way as its
 *   value). Values the key fixes outright (an offset of 0) are not among the variable values;
 * - the first call of a key compiles both. The template is kept only when the SQL texts are
 *   equal and every parameter is either the same in both (a constant of the shape) or exactly
 *   the value in one and exactly its probe in the other (that value, passed through). A value
 *   the builder rewrote (a LIKE pattern, a range around an instant), or a probe compile that
 *   failed, refuses the key for good: such a shape is built per call as before. The decisions
 *   the builder takes on a value without rewriting it (is it a uuid?) are the key's to capture;
 * - a call whose values cannot tell slots from constants (a value equal to its own probe or to
 *   another's, as a client may send on purpose) is built for itself and teaches nothing: the
 *   template is learnt from a later call;
 * - the kept template is the probe's statement, so it holds none of the first caller's values
 *   (another organization's id, an email address) and nothing of them is kept or logged later;
 * - later calls with the key bind their values into the kept text.
 * The caller's part is that its key captures every decision a builder takes on a value; a
 * property test (test/repositories/compiled-per-shape.test.ts) compiles random filters of one
 * shape with random values both ways and requires equal SQL and parameters.
 * At most `capacity` keys are kept (first in, first out), keys up to MAX_KEY_LENGTH characters.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { Database } from '../db/schema.js'

type Executor = Kysely<Database>

const MAX_KEY_LENGTH = 4096

export interface QueryShape<Q> {
  /** Everything the SQL text depends on, except the values. */
  readonly key: string
  /** The call's variable values, in a fixed order per key. */
  readonly values: readonly unknown[]
  /** The same request with `probes[i]` in place of `values[i]`. */
  readonly probe: Q
  readonly probes: readonly unknown[]
}

interface Template<R> {
  readonly compiled: CompiledQuery<R>
  /** Per parameter: the index of the value it is, or -1 for a constant. */
  readonly slots: readonly number[]
}

const REFUSED = 'refused'

export interface CompiledPerShape<Q, R> {
  (db: Executor, request: Q): Promise<QueryResult<R>>
  /** The statement for `request`, from the kept template when there is one (for tests). */
  compile: (db: Executor, request: Q) => CompiledQuery<R>
  /** How many keys have a kept template (for tests). */
  readonly size: number
}

export function compiledPerShape<Q, R> (
  build: (db: Executor, request: Q) => Compilable<R>,
  shapeOf: (request: Q) => QueryShape<Q> | undefined,
  capacity = 256
): CompiledPerShape<Q, R> {
  const templates = new Map<string, Template<R> | typeof REFUSED>()

  const compile = (db: Executor, request: Q): CompiledQuery<R> => {
    const shape = shapeOf(request)
    if (shape === undefined || shape.key.length > MAX_KEY_LENGTH) return build(db, request).compile()
    const kept = templates.get(shape.key)
    if (kept === REFUSED) return build(db, request).compile()
    if (kept !== undefined) return bind(kept, shape.values)
    const compiled = build(db, request).compile()
    const learnt = learn(compiled, () => build(db, shape.probe).compile(), shape)
    if (learnt !== undefined) remember(shape.key, learnt)
    return compiled
  }

  const remember = (key: string, template: Template<R> | typeof REFUSED): void => {
    if (templates.size >= capacity) {
      const oldest = templates.keys().next()
      if (oldest.done !== true) templates.delete(oldest.value)
    }
    templates.set(key, template)
  }

  const run = async (db: Executor, request: Q): Promise<QueryResult<R>> => await db.executeQuery(compile(db, request))
  return Object.defineProperties(run, {
    compile: { value: compile },
    size: { get: () => [...templates.values()].filter(template => template !== REFUSED).length }
  }) as CompiledPerShape<Q, R>
}

/** The template, REFUSED, or undefined when these values cannot tell (the next call of the key tries again). */
function learn<Q, R> (compiled: CompiledQuery<R>, compileProbe: () => CompiledQuery<R>, shape: QueryShape<Q>): Template<R> | typeof REFUSED | undefined {
  const { values, probes } = shape
  if (probes.length !== values.length) throw new Error('compiledPerShape: a probe for every value, and no more')
  // Sets and maps (SameValueZero) keep this linear in the number of values, however many a filter has.
  const valueSet = new Set(values)
  const slotOfProbe = new Map(probes.map((probe, index) => [probe, index]))
  if (slotOfProbe.size !== probes.length || probes.some(probe => valueSet.has(probe))) return undefined
  let probed: CompiledQuery<R>
  try {
    probed = compileProbe()
  } catch {
    return REFUSED
  }
  if (probed.sql !== compiled.sql || probed.parameters.length !== compiled.parameters.length) return REFUSED
  const slots: number[] = []
  for (let i = 0; i < compiled.parameters.length; i++) {
    const actual = compiled.parameters[i]
    const probe = probed.parameters[i]
    if (Object.is(actual, probe)) {
      slots.push(-1)
      continue
    }
    const index = slotOfProbe.get(probe)
    if (index === undefined || !Object.is(values[index], actual)) return REFUSED
    slots.push(index)
  }
  return { compiled: probed, slots }
}

function bind<R> (template: Template<R>, values: readonly unknown[]): CompiledQuery<R> {
  const constants = template.compiled.parameters
  const parameters = template.slots.map((slot, i) => slot < 0 ? constants[i] : values[slot])
  return { ...template.compiled, parameters }
}
