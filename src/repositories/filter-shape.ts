/**
 * A resolved filter's shape, for queries compiled per shape (compiled-per-shape.ts): the
 * filter with each string literal replaced by what the SQL compiler (filter-sql.ts,
 * filter-sql.fields.ts) decides on about it, the literals in order, and the same filter with
 * a probe in place of each literal.
 *
 * What the key holds of a string literal:
 * - whether it is a uuid (any case): uuid attributes (`id`, `groups.value`) compare as uuid or
 *   match nothing, by the text;
 * - whether it is lowercase (a uuid compared case-insensitively is lowercased: a rewrite of an
 *   uppercase one, refused by the probe check, a no-op on a lowercase one, learnt), and
 *   whether it has LIKE's special characters `%`, `_`, `\` (escaped in patterns, a rewrite
 *   refused anyway): keeping them apart in the key means a rewrite that changed only some
 *   texts could not be learnt from a probe without them.
 * A literal holding U+0000 (which the compiler turns into a shorter comparison or `false`)
 * gives the filter no shape: it is compiled per request. Numbers and booleans are in the key
 * as they are (`active eq true`, `x gt 3`). Instants need no feature: resolve.ts has rewritten
 * every dateTime literal to its ISO form, passed through as is, and the `meta` timestamps'
 * rewrite (a millisecond range) fails on a probe, so their shapes are refused.
 * A probe has the same features as its literal (checked here), so a template learnt from the
 * probe's compile holds for every literal of the key.
 */
import type { ScimAttributePath, ScimFilter } from '../scim/filter/ast.js'
import type { QueryShape } from './compiled-per-shape.js'

export interface FilterShape {
  readonly key: string
  readonly literals: readonly string[]
  readonly probe: ScimFilter
  readonly probes: readonly string[]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const LIKE_SPECIAL = /[\\%_]/

/** The features of a string literal ('g' uuid, 'l'/'u' lowercase or not, 'x' LIKE-special), or undefined when it has no shape. */
function features (text: string): string | undefined {
  if (text.includes('\u0000')) return undefined
  const lower = text.toLowerCase()
  return (UUID.test(lower) ? 'g' : '') + (lower === text ? 'l' : 'u') + (LIKE_SPECIAL.test(text) ? 'x' : '')
}

/** A text with these features that no client's literal is likely to be. */
function probeFor (index: number, feature: string): string {
  const word = feature.startsWith('g')
    ? `ffffffff-ffff-4fff-bfff-${index.toString(16).padStart(12, '0')}`
    : `\u0001probe${index}\u0001` + (feature.includes('x') ? '_' : '')
  return feature.includes('l') ? word : word.toUpperCase()
}

export function filterShape (filter: ScimFilter): FilterShape | undefined {
  const literals: string[] = []
  const probes: string[] = []
  const path = (p: ScimAttributePath): string => JSON.stringify([p.schema ?? null, p.attribute, p.subAttribute ?? null])

  const walk = (node: ScimFilter): { key: string, probe: ScimFilter } | undefined => {
    switch (node.kind) {
      case 'and':
      case 'or': {
        const left = walk(node.left)
        const right = left && walk(node.right)
        if (left === undefined || right === undefined) return undefined
        return { key: `(${left.key} ${node.kind} ${right.key})`, probe: { kind: node.kind, left: left.probe, right: right.probe } }
      }
      case 'not': {
        const inner = walk(node.filter)
        return inner && { key: `not(${inner.key})`, probe: { kind: 'not', filter: inner.probe } }
      }
      case 'valuePath': {
        const inner = walk(node.filter)
        return inner && { key: `${path(node.path)}[${inner.key}]`, probe: { kind: 'valuePath', path: node.path, filter: inner.probe } }
      }
      case 'present':
        return { key: `${path(node.path)} pr`, probe: node }
      case 'compare': {
        if (typeof node.value !== 'string') return { key: `${path(node.path)} ${node.op} ${JSON.stringify(node.value)}`, probe: node }
        const feature = features(node.value)
        if (feature === undefined) return undefined
        const probe = probeFor(literals.length, feature)
        if (features(probe) !== feature) return undefined // cannot happen (tested); compiled per request if it did
        literals.push(node.value)
        probes.push(probe)
        return { key: `${path(node.path)} ${node.op} $${feature}`, probe: { kind: 'compare', path: node.path, op: node.op, value: probe } }
      }
    }
  }

  const shape = walk(filter)
  return shape && { key: shape.key, literals, probe: shape.probe, probes }
}

/** The values of a list page's statement that are bind parameters (`groupLimit`: users' first groups). */
export interface PageValues {
  readonly organizationId: string
  readonly offset: number
  readonly limit: number
  readonly groupLimit?: number
}

const PROBE_ORGANIZATIONS = ['00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'] as const

/**
 * The shape of a filtered (or unfiltered) page for compiledPerShape: `key` is what else its text
 * depends on (sort, base URL); whether the page is the first and whether groups are read are
 * added here, as are the probes for the organization, offset, limit and group limit.
 * `rebuild` makes the request from other page values and filter (the probe).
 */
export function pageShape<Q> (
  page: PageValues, filter: ScimFilter | undefined, key: readonly unknown[], rebuild: (page: PageValues, filter: ScimFilter | undefined) => Q
): QueryShape<Q> | undefined {
  const shape = filter === undefined ? undefined : filterShape(filter)
  if (filter !== undefined && shape === undefined) return undefined
  const probePage: PageValues = {
    organizationId: PROBE_ORGANIZATIONS[page.organizationId === PROBE_ORGANIZATIONS[0] ? 1 : 0],
    offset: page.offset === 0 ? 0 : 2_000_000_001,
    limit: 2_000_000_002,
    ...(page.groupLimit === undefined ? {} : { groupLimit: page.groupLimit > 0 ? 2_000_000_003 : 0 })
  }
  // An offset or group limit of 0 is fixed by the key (and is its own probe): not a value.
  const numbers = (p: PageValues): unknown[] => [
    p.organizationId, p.limit, ...page.offset === 0 ? [] : [p.offset], ...(page.groupLimit ?? 0) > 0 ? [p.groupLimit] : []
  ]
  return {
    key: JSON.stringify([...key, page.offset === 0, (page.groupLimit ?? 0) > 0, shape?.key ?? null]),
    values: [...numbers(page), ...shape?.literals ?? []],
    probe: rebuild(probePage, shape?.probe),
    probes: [...numbers(probePage), ...shape?.probes ?? []]
  }
}
