/**
 * Record references in decoded arguments: found before a group of tasks
 * starts (so their records load together, records.ts), then replaced with
 * the loaded records. Plain objects are rebuilt with own properties only: a
 * stored `__proto__` key stays a key, never a prototype.
 */
import { RecordRef } from './record-ref.js'

const isPlain = (value: object): boolean => {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Every RecordRef inside a decoded value. */
export function refsIn(value: unknown, out: RecordRef[] = []): RecordRef[] {
  if (value instanceof RecordRef) out.push(value)
  else if (Array.isArray(value) || value instanceof Set) for (const item of value) refsIn(item, out)
  else if (value instanceof Map) for (const [k, v] of value) refsIn(v, refsIn(k, out))
  else if (value && typeof value === 'object' && isPlain(value))
    for (const item of Object.values(value)) refsIn(item, out)
  return out
}

/** The value with each RecordRef replaced by `take(ref)`. */
export function withRecords(value: unknown, take: (ref: RecordRef) => object): unknown {
  if (value instanceof RecordRef) return take(value)
  if (Array.isArray(value)) return value.map((item) => withRecords(item, take))
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [withRecords(k, take), withRecords(v, take)]))
  if (value instanceof Set) return new Set([...value].map((item) => withRecords(item, take)))
  if (value && typeof value === 'object' && isPlain(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: withRecords(item, take),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    }
    return out
  }
  return value
}
