// Medians across rounds: records of one (scenario, setting, system) are
// merged leaf by leaf — numbers by median, booleans by "any round", sample
// arrays pooled. Where samples were pooled (enqueue and latency split their
// calls across rounds), the percentiles are recomputed from the pool. A
// drain's `timeline` is one round's own and stays in latest.json only.
import { median, latencySummary } from '../stats.js'

const PER_ROUND_ONLY = new Set(['timeline'])

function merge(values) {
  const present = values.filter((v) => v !== undefined && v !== null)
  if (present.length === 0) return null
  if (typeof present[0] === 'number') return median(present)
  if (typeof present[0] === 'boolean') return present.some(Boolean)
  if (Array.isArray(present[0])) return present.flat()
  if (typeof present[0] === 'object') {
    const keys = new Set(
      present.flatMap((v) => Object.keys(v)).filter((k) => !PER_ROUND_ONLY.has(k)),
    )
    return Object.fromEntries([...keys].map((k) => [k, merge(present.map((v) => v[k]))]))
  }
  return present[0]
}

function pooled(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, pooled(v)]))
  if (Array.isArray(value.samples)) {
    Object.assign(out, latencySummary(value.samples))
    delete out.samples
  }
  return out
}

export const keyOf = (scenario, setting, system) =>
  [scenario, setting ?? '', system ?? ''].join('|')

export function aggregate(records) {
  const groups = new Map()
  for (const r of records) {
    const key = keyOf(r.scenario, r.setting, r.system)
    const g = groups.get(key) ?? { metrics: [], errors: [], rounds: 0 }
    g.rounds++
    if (r.error) g.errors.push(r.error)
    else g.metrics.push(r.metrics)
    groups.set(key, g)
  }
  const out = new Map()
  for (const [key, g] of groups)
    out.set(key, { ...pooled(merge(g.metrics)), rounds: g.metrics.length, errors: g.errors })
  return {
    get: (scenario, setting, system) => {
      const m = out.get(keyOf(scenario, setting, system))
      return m && m.rounds > 0 ? m : null
    },
    errors: (scenario, setting, system) => out.get(keyOf(scenario, setting, system))?.errors ?? [],
  }
}
