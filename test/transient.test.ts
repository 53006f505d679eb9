/**
 * Which database errors the worker retries at once (nothing was done) rather
 * than after a poll interval (an outage).
 */
import { describe, expect, it } from 'vitest'
import { Sequelize } from 'sequelize'
import { isOutage, isTransient } from '../src/transient.js'
import { LifecycleBase } from '../src/lifecycle/base.js'

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

// Galera refuses a transaction that lost certification at COMMIT (another
// node committed a claim of the same row first) with the deadlock error:
// the whole transaction, COMMIT included, is what `retrying` runs again.
describe('Galera certification conflicts', () => {
  const certification = () =>
    wrap({
      code: 'ER_LOCK_DEADLOCK',
      errno: 1213,
      sqlState: '40001',
      sqlMessage:
        'WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction',
    })

  it('are transient; a node not ready for application use is an outage', () => {
    expect(isTransient(certification())).toBe(true)
    const notReady = wrap({
      code: 'ER_UNKNOWN_COM_ERROR',
      errno: 1047,
      sqlMessage: 'WSREP has not yet prepared node for application use',
    })
    expect(isTransient(notReady)).toBe(false)
    expect(isOutage(notReady)).toBe(true)
  })

  it('are retried, commit and all, until the transaction goes through', async () => {
    const sequelize = new Sequelize('mysql://root@127.0.0.1:1/none', { logging: false })
    const base = new LifecycleBase(sequelize, 'mysql', { info: () => {}, error: () => {} })
    const steps: string[] = []
    const result = await base.retrying(async () => {
      await Promise.resolve() // the statements, as far as this test goes
      steps.push('BEGIN', 'claim')
      if (steps.length < 6) {
        steps.push('COMMIT refused')
        throw certification()
      }
      steps.push('COMMIT')
      return 'claimed'
    })
    expect(result).toBe('claimed')
    expect(steps.filter((s) => s === 'COMMIT refused')).toHaveLength(2)
    expect(steps.at(-1)).toBe('COMMIT')
    await sequelize.close()
  })
})
