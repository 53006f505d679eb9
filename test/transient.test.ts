/**
 * Which database errors the worker retries at once (nothing was done) rather
 * than after a poll interval (an outage).
 */
import { describe, expect, it } from 'vitest'
import { isTransient } from '../src/transient.js'

const wrap = (parent: object) => Object.assign(new Error('db'), { parent })

describe('isTransient', () => {
  it('knows deadlocks, serialization failures and lock wait timeouts', () => {
    expect(isTransient(wrap({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }))).toBe(true)
    expect(isTransient(wrap({ errno: 1205 }))).toBe(true)
    expect(isTransient(wrap({ code: '40P01' }))).toBe(true)
    expect(isTransient(wrap({ code: '40001' }))).toBe(true)
  })

  it('treats connection loss and everything else as an outage', () => {
    expect(isTransient(wrap({ code: 'ECONNREFUSED' }))).toBe(false)
    expect(isTransient(new Error('plain'))).toBe(false)
    expect(isTransient(null)).toBe(false)
  })
})
