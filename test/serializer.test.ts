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

  it('refuses a __proto__ key when storing, wherever it is, instead of dropping it', () => {
    // JSON.parse makes "__proto__" an own key, as a request body would have it.
    const body = JSON.parse('{"__proto__":{"admin":true},"name":"ann"}') as object
    expect(() => serialize([body], 'args')).toThrow(/args\[0\] has a key named "__proto__"/)
    expect(() => serialize([new Map([['k', { nested: body }]])], 'args')).toThrow(
      /args\[0\]<value 0>\.nested has a key named "__proto__"/,
    )
    expect(() => serialize({ $t: 'x', inner: body })).toThrow(SerializationError)
  })

  it('refuses a stored __proto__ key rather than letting it set a prototype', () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '[{"a":[{"__proto__":[]}]}]',
      '{"$t":"Object","v":{"$t":1,"__proto__":{"admin":true}}}',
      '{"$t":"Map","v":[["k",{"__proto__":{"admin":true}}]]}',
    ]) {
      expect(() => deserialize(text), text).toThrow(/key named "__proto__"/)
    }
  })

  it('keeps keys named constructor or prototype as plain own data', () => {
    const value = { constructor: { x: 1 }, prototype: 2, toString: 'three' }
    const back = deserialize(serialize(value)) as Record<string, unknown>
    expect(back).toEqual(value)
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.keys(back)).toEqual(['constructor', 'prototype', 'toString'])
  })

  it('rebuilds a stored error by its own class name, never by what objects inherit', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
      const err = deserialize(JSON.stringify({ $t: 'Error', v: { name, message: 'm' } })) as Error
      expect(err, name).toBeInstanceOf(Error)
      expect([err.constructor, err.name, err.message, err.stack], name).toEqual([
        Error,
        name,
        'm',
        `${name}: m`,
      ])
    }
    // Fields are read from the stored error itself, not from a prototype it names.
    const inherited = deserialize(
      '{"$t":"Error","v":{"__proto__":{"name":"TypeError","message":"x","code":"E"}}}',
    ) as Error & { code?: string }
    expect([inherited.constructor, inherited.name, inherited.message, inherited.code]).toEqual([
      Error,
      'Error',
      '',
      undefined,
    ])
    expect(() => deserialize('{"$t":"Error","v":null}')).toThrow(SerializationError)
    expect(() => deserialize('{"$t":"Error","v":"boom"}')).toThrow(SerializationError)
  })

  it('reads at most three causes of a stored error, however many the row claims', () => {
    let stored: object = { name: 'Error', message: 'root' }
    for (let i = 0; i < 50; i++) stored = { name: 'Error', message: `level ${i}`, cause: stored }
    let err = deserialize(JSON.stringify({ $t: 'Error', v: stored })) as Error
    let depth = 0
    while (err.cause instanceof Error) {
      err = err.cause
      depth++
    }
    expect(depth).toBe(3)
  })
})
