/**
 * Retry timing: the default backoff grows exponentially with jitter, and a
 * retried task waits (pending, not claimable) until its backoff has passed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Model, type Sequelize } from 'sequelize'
import { defaultBackoff, installAsync } from '../src/index.js'
import { createDb, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'

describe('backoff', () => {
  it('doubles per attempt with jitter between half and the full step, capped at an hour', () => {
    for (const attempt of [1, 2, 3, 10]) {
      const step = 1000 * 2 ** (attempt - 1)
      for (let i = 0; i < 50; i++) {
        const delay = defaultBackoff(attempt)
        expect(delay).toBeGreaterThanOrEqual(step / 2)
        expect(delay).toBeLessThanOrEqual(step)
      }
    }
    expect(defaultBackoff(40)).toBeLessThanOrEqual(3_600_000)
  })

  describe('a retried task', () => {
    let db: TestDb
    let sequelize: Sequelize
    class Flaky extends Model {
      declare id: number
      static failures = 1
      run(): string {
        if (Flaky.failures-- > 0) throw new Error('not yet')
        return 'ok'
      }
    }
    beforeAll(async () => {
      db = await createDb('sqlite', 'backoff')
      sequelize = db.connect()
      Flaky.init({}, { sequelize })
      await sequelize.sync()
    })
    afterAll(async () => {
      await sequelize.close()
      await db.drop()
    })

    it('waits pending until its backoff has passed, with the error kept', async () => {
      const tasks = installAsync(sequelize, {
        backoff: (attempt) => attempt * 60_000,
        maxAttempts: 3,
        logger: quietLogger(),
      })
      await tasks.migrate()
      const task = await (await Flaky.create()).async('run')
      expect(await tasks.createWorker().workOff()).toEqual({ succeeded: 0, failed: 0, retried: 1 })
      await task.reload()
      expect([task.status, task.success, task.attempts, task.error]).toEqual([
        'pending',
        null,
        1,
        'Error: not yet',
      ])
      expect(task.scheduledAt.getTime()).toBeGreaterThan(Date.now() + 50_000)
      expect(await tasks.createWorker().workOff()).toEqual({ succeeded: 0, failed: 0, retried: 0 })
      await task.update({ scheduledAt: new Date(Date.now() - 1) }) // time passes
      expect(await tasks.createWorker().workOff()).toEqual({ succeeded: 1, failed: 0, retried: 0 })
    })
  })
})
