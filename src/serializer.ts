/**
 * Tagged JSON: arguments, results and errors are stored as readable JSON text.
 * Values JSON cannot hold are written as `{"$t": tag, "v": payload}`; a plain
 * object that itself has a `$t` key is wrapped as `{"$t":"Object","v":{…}}` so
 * that no stored value can be mistaken for a tag.
 *
 * Encoding refuses anything that would not come back equal: functions,
 * symbols, circular data, class instances without a tag. Refusing at enqueue
 * time is the point: a task must never fail days later because its arguments
 * were silently mangled.
 *
 * A `__proto__` key is refused both ways. JSON.parse keeps it as an own
 * property, but any code that copies the object key by key (`out[key] =
 * value`, as the worker does when it re-loads records) turns it into the
 * copy's prototype; a row written by anyone with database access could then
 * hand a task method an object that inherits whatever the row chose.
 */
import { RecordRef } from './record-ref.js'
import { SerializationError } from './errors.js'
import { errorFromJSON, errorToJSON, type StoredError } from './stored-error.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** Turns a Sequelize instance into a reference, or returns undefined. */
export type RecordEncoder = (value: object) => RecordRef | undefined

const TAG = '$t'
const PROTO = '__proto__'

function tagged(tag: string, v: Json): Json {
  return { [TAG]: tag, v }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

class Encoder {
  private readonly seen = new Set<object>()

  constructor(private readonly toRecord: RecordEncoder | undefined) {}

  encode(value: unknown, path: string): Json {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value
      case 'number':
        if (Object.is(value, -0)) return tagged('Number', '-0') // String(-0) is "0"
        return Number.isFinite(value) ? value : tagged('Number', String(value))
      case 'undefined':
        return tagged('undefined', null)
      case 'bigint':
        return tagged('BigInt', value.toString())
      case 'function':
      case 'symbol':
        throw new SerializationError(
          `${path} is a ${typeof value}, which cannot be stored in a task. Pass data (strings, numbers, records, plain objects) and look the behaviour up inside the task method.`,
        )
      case 'object':
        return value === null ? null : this.encodeObject(value, path)
    }
  }

  private encodeObject(value: object, path: string): Json {
    if (this.seen.has(value)) {
      throw new SerializationError(
        `${path} refers back to itself (circular data), which cannot be stored in a task.`,
      )
    }
    this.seen.add(value)
    try {
      return this.encodeKnown(value, path)
    } finally {
      this.seen.delete(value)
    }
  }

  private encodeKnown(value: object, path: string): Json {
    if (Array.isArray(value)) return value.map((item, i) => this.encode(item, `${path}[${i}]`))
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new SerializationError(`${path} is an invalid Date.`)
      return tagged('Date', value.toISOString())
    }
    if (Buffer.isBuffer(value)) return tagged('Buffer', value.toString('base64'))
    if (value instanceof Map) {
      return tagged(
        'Map',
        [...value.entries()].map(([k, v], i) => [
          this.encode(k, `${path}<key ${i}>`),
          this.encode(v, `${path}<value ${i}>`),
        ]),
      )
    }
    if (value instanceof Set)
      return tagged(
        'Set',
        [...value].map((v, i) => this.encode(v, `${path}<item ${i}>`)),
      )
    if (value instanceof RecordRef)
      return tagged('Record', { model: value.model, id: value.id as Json })
    if (value instanceof Error) return tagged('Error', errorToJSON(value) as unknown as Json)
    const record = this.toRecord?.(value)
    if (record) return tagged('Record', { model: record.model, id: record.id as Json })
    if (!isPlainObject(value)) {
      const name = (value.constructor as { name?: string } | undefined)?.name ?? 'unknown'
      throw new SerializationError(
        `${path} is an instance of ${name}, which cannot be stored in a task. Pass a plain object, a saved Sequelize record or an id instead.`,
      )
    }
    const out: Record<string, Json> = {}
    for (const [key, item] of Object.entries(value)) {
      if (key === PROTO) {
        throw new SerializationError(
          `${path} has a key named "__proto__", which cannot be stored in a task: read back, it could become the object's prototype. Rename the key.`,
        )
      }
      out[key] = this.encode(item, `${path}.${key}`)
    }
    return TAG in out ? tagged('Object', out) : out
  }
}

function decode(value: Json): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (value === null || typeof value !== 'object') return value
  // Own fields only: a tag is never read from what every object inherits.
  if (Object.hasOwn(value, TAG) && typeof value[TAG] === 'string' && Object.hasOwn(value, 'v'))
    return decodeTagged(value[TAG], value.v ?? null)
  return decodeObject(value)
}

/** A plain object, key by key; the one place stored keys become object keys. */
function decodeObject(value: { [key: string]: Json }): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    if (key === PROTO) {
      throw new SerializationError(
        'Stored value has a key named "__proto__", which is refused: it could set an object\'s prototype.',
      )
    }
    out[key] = decode(item)
  }
  return out
}

// A corrupt row must fail its task with a clear error, not decode to garbage.
function text(tag: string, v: Json): string {
  if (typeof v !== 'string') throw new SerializationError(`Stored ${tag} value is not a string.`)
  return v
}

function list(tag: string, v: Json): Json[] {
  if (!Array.isArray(v)) throw new SerializationError(`Stored ${tag} value is not a list.`)
  return v
}

function decodeTagged(tag: string, v: Json): unknown {
  switch (tag) {
    case 'undefined':
      return undefined
    case 'Number':
      return Number(text(tag, v))
    case 'BigInt':
      try {
        return BigInt(text(tag, v))
      } catch {
        throw new SerializationError(`Stored BigInt value ${JSON.stringify(v)} is not an integer.`)
      }
    case 'Date':
      return new Date(text(tag, v))
    case 'Buffer':
      return Buffer.from(text(tag, v), 'base64')
    case 'Map':
      return new Map(
        list(tag, v).map((entry) => list(tag, entry).map(decode) as [unknown, unknown]),
      )
    case 'Set':
      return new Set(list(tag, v).map(decode))
    case 'Record': {
      const ref = v as { model?: unknown; id?: unknown } | null
      if (
        !ref ||
        typeof ref.model !== 'string' ||
        (typeof ref.id !== 'string' && typeof ref.id !== 'number')
      ) {
        throw new SerializationError('Stored Record reference has no model name or id.')
      }
      return new RecordRef(ref.model, ref.id)
    }
    case 'Error':
      return errorFromJSON(v as unknown as StoredError)
    case 'Object':
      if (v === null || typeof v !== 'object' || Array.isArray(v))
        throw new SerializationError('Stored Object value is not an object.')
      return decodeObject(v)
    default:
      throw new SerializationError(`Stored value has an unknown type tag "${tag}".`)
  }
}

/** Encodes a value to tagged JSON text, refusing what cannot round-trip. */
export function serialize(value: unknown, what = 'value', toRecord?: RecordEncoder): string {
  return JSON.stringify(new Encoder(toRecord).encode(value, what))
}

/**
 * Decodes tagged JSON text. Record references come back as {@link RecordRef};
 * the executor replaces them with freshly loaded records.
 */
export function deserialize(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return null
  let parsed: Json
  try {
    parsed = JSON.parse(text) as Json
  } catch (err) {
    throw new SerializationError(`Stored value is not valid JSON: ${(err as Error).message}`)
  }
  return decode(parsed)
}
