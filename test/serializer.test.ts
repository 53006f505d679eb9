/**
 * Tagged JSON: readable text, exact round-trips, refusals with the path of
 * the bad value, and no way for stored text to forge a tag.
 */
import { describe, expect, it } from 'vitest'
import { deserialize, RecordRef, serialize, SerializationError } from '../src/index.js'

describe('serializer', () => {
  it('stores plain JSON as plain, readable JSON', () => {
    expect(serialize([1, 'two', { three: [true, null] }])).toBe('[1,"two",{"three":[true,null]}]')
  })

  it('tags what JSON lacks and reads it back', () => {
    const text = serialize([new Date('2026-11-27T20:11:05.000Z'), 10n, undefined])
    expect(text).toBe(
      '[{"$t":"Date","v":"2026-11-27T20:11:05.000Z"},{"$t":"BigInt","v":"10"},{"$t":"undefined","v":null}]',
    )
    expect(deserialize(text)).toEqual([new Date('2026-11-27T20:11:05.000Z'), 10n, undefined])
  })

  it('escapes objects that look like tags, so stored data cannot forge one', () => {
    const value = { $t: 'Record', v: { model: 'User', id: 1 } }
    const back = deserialize(serialize(value))
    expect(back).toEqual(value)
    expect(back).not.toBeInstanceOf(RecordRef)
  })

  it('keeps errors with class name, message, stack, code and cause', () => {
    const err = Object.assign(new TypeError('bad', { cause: new Error('root') }), { code: 'E_BAD' })
    const back = deserialize(serialize(err)) as TypeError & { code: string }
    expect(back).toBeInstanceOf(TypeError)
    expect([back.name, back.message, back.code, back.stack]).toEqual([
      'TypeError',
      'bad',
      'E_BAD',
      err.stack,
    ])
    expect((back.cause as Error).message).toBe('root')
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined'
    }
    const custom = deserialize(serialize(new PaymentDeclined('no funds'))) as Error
    expect([custom.name, custom.message, custom instanceof Error]).toEqual([
      'PaymentDeclined',
      'no funds',
      true,
    ])
  })

  it('refuses what cannot round-trip, naming where it is', () => {
    expect(() => serialize({ a: [1, { f: () => 1 }] }, 'args')).toThrow(
      /args\.a\[1\]\.f is a function/,
    )
    expect(() => serialize(new (class Money {})(), 'args')).toThrow(SerializationError)
    expect(() => serialize(new WeakMap(), 'args')).toThrow(/instance of WeakMap/)
  })

  it('allows shared (non-circular) references', () => {
    const shared = { n: 1 }
    expect(deserialize(serialize([shared, shared]))).toEqual([{ n: 1 }, { n: 1 }])
  })

  it('rejects corrupt text and unknown tags with a SerializationError', () => {
    expect(() => deserialize('{oops')).toThrow(SerializationError)
    expect(() => deserialize('{"$t":"Function","v":"return 1"}')).toThrow(
      /unknown type tag "Function"/,
    )
  })
})
