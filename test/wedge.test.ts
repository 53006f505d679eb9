/**
 * Rows that must never wedge a worker: one row the database refuses, or a
 * row with corrupt values, may fail its own task, but never a worker slot,
 * the upkeep of the fleet, or a command. Each case on every dialect; the
 * database's refusal is a trigger, as a constraint or a damaged row would be.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Sequelize } from 'sequelize'
import type { AsyncTask } from '../src/index.js'
import type { Lifecycle } from '../src/lifecycle/index.js'
import { dialects, type DialectName } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'

const REFUSAL = 'row refused by the test trigger'

/** A trigger that refuses an UPDATE of async_tasks when `when` (SQL on NEW/OLD) holds. */
async function refuseUpdates(
  sequelize: Sequelize,
  dialect: DialectName,
  when: string,
): Promise<void> {
  await dropRefusal(sequelize, dialect)
  if (dialect === 'postgres') {
    await sequelize.query(`CREATE OR REPLACE FUNCTION test_refuse() RETURNS trigger AS $$
      BEGIN IF ${when} THEN RAISE EXCEPTION '${REFUSAL}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`)
    await sequelize.query(
      'CREATE TRIGGER test_refuse BEFORE UPDATE ON async_tasks FOR EACH ROW EXECUTE FUNCTION test_refuse()',
    )
  } else if (dialect === 'mysql') {
    await sequelize.query(`CREATE TRIGGER test_refuse BEFORE UPDATE ON async_tasks FOR EACH ROW
      BEGIN IF ${when} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${REFUSAL}'; END IF; END`)
  } else {
    await sequelize.query(`CREATE TRIGGER test_refuse BEFORE UPDATE ON async_tasks
      WHEN ${when} BEGIN SELECT RAISE(ABORT, '${REFUSAL}'); END`)
  }
}

async function dropRefusal(sequelize: Sequelize, dialect: DialectName): Promise<void> {
  const on = dialect === 'postgres' ? ' ON async_tasks' : ''
  await sequelize.query(`DROP TRIGGER IF EXISTS test_refuse${on}`)
}

const lifecycleOf = (app: App): Lifecycle =>
  (app.tasks.AsyncTask as unknown as typeof AsyncTask).lifecycle

describe.each(dialects)('rows that must never wedge a worker, on %s', (dialect) => {
  const t = useTestApp(dialect, 'wedge', { clean: true, install: { maxPayloadBytes: 200_000 } })
  let app: App
  let sequelize: Sequelize
  beforeAll(() => ({ app, sequelize } = t))

  it('ends a task whose outcome the database refuses as failed, says why, and runs the rest', async () => {
    await refuseUpdates(sequelize, dialect, "NEW.result LIKE '%REFUSE-ME%'")
    try {
      const order = await app.Order.create({ total: 1 })
      const bad = await order.async('echo', { args: ['REFUSE-ME'] })
      const good = []
      for (let i = 0; i < 5; i++) good.push(await order.async('echo', { args: [i] }))
      const counts = await app.tasks.createWorker({ concurrency: 2 }).workOff()
      expect(counts).toEqual({ succeeded: 5, failed: 1, retried: 0 })
      await bad.reload()
      expect([bad.status, bad.success, bad.lockedBy]).toEqual(['failed', false, null])
      expect(bad.error).toMatch(
        /outcome of this run could not be stored \(.*refused by the test trigger/,
      )
      expect(bad.result).toBeInstanceOf(Error)
      for (const task of good) expect((await task.reload()).status).toBe('succeeded')
      expect(
        app.logger.lines.some((l) => /ERROR the outcome of task \d+ could not be stored/.test(l)),
      ).toBe(true)
    } finally {
      await dropRefusal(sequelize, dialect)
    }
  })

  it('stores outcomes of rows with a corrupt history or counts at the integer limit', async () => {
    const order = await app.Order.create({ total: 1 })
    const maxed = await order.async('echo', { args: ['fine'] })
    const corrupt = await order.async('fail', { args: ['again'], maxAttempts: 5 })
    await maxed.update({ attempts: 2147483647, maxAttempts: 1000 })
    await corrupt.update({ attemptErrorsJson: '{not json', attempts: 1 })
    await app.tasks.createWorker().workOff()
    await maxed.reload()
    expect([maxed.status, maxed.attempts, maxed.result]).toEqual(['succeeded', 2147483647, 'fine'])
    await corrupt.reload()
    expect(corrupt.attempts).toBeGreaterThanOrEqual(2)
    expect(corrupt.attemptErrors[0]?.name).toBe('CorruptHistory')
    expect(corrupt.attemptErrors.at(-1)?.message).toBe('again')
  })

  it('rescues a lost task whose interruptions are at the integer limit', async () => {
    const order = await app.Order.create({ total: 1 })
    const lost = await order.async('echo', { args: [1] })
    await lost.update({
      status: 'running',
      ready: null,
      lockedBy: 'gone',
      lockedUntil: new Date(Date.now() - 60_000),
      interruptions: 2147483647,
    })
    await app.tasks.createWorker().workOff()
    await lost.reload()
    expect([lost.status, lost.interruptions]).toEqual(['failed', 2147483647])
    expect(lost.error).toMatch(/^WorkerLostError/)
  })

  it('promotes every due task but the one row the database refuses, and says which', async () => {
    const order = await app.Order.create({ total: 1 })
    const soon = new Date(Date.now() + 300)
    const later = []
    for (let i = 0; i < 4; i++)
      later.push(await order.async('echo', { args: [i], scheduledAt: soon }))
    const refused = later[1] as AsyncTask
    await refuseUpdates(sequelize, dialect, `OLD.id = ${refused.id} AND NEW.ready = 1`)
    try {
      await new Promise((resolve) => setTimeout(resolve, 400))
      const counts = await app.tasks.createWorker({ concurrency: 4 }).workOff()
      expect(counts.succeeded).toBe(3)
      expect((await refused.reload()).status).toBe('pending')
      expect(app.logger.lines.some((l) => l.includes(`promote: task ${refused.id} skipped`))).toBe(
        true,
      )
    } finally {
      await dropRefusal(sequelize, dialect)
    }
  })

  it('retries every failed task it can, passes the one the database refuses, and ends', async () => {
    const order = await app.Order.create({ total: 1 })
    const failed = []
    for (let i = 0; i < 5; i++) failed.push(await order.async('fail', { args: [`f${i}`] }))
    await app.tasks.createWorker({ concurrency: 5 }).workOff()
    const refused = failed[2] as AsyncTask
    await refuseUpdates(sequelize, dialect, `OLD.id = ${refused.id}`)
    try {
      const { retried, skipped } = await lifecycleOf(app).retryAll('failed')
      expect(retried).toBe(4)
      expect(skipped).toEqual([
        { id: refused.id, error: expect.stringContaining(REFUSAL) as string },
      ])
      expect((await refused.reload()).status).toBe('failed')
      expect((await (failed[0] as AsyncTask).reload()).status).toBe('pending')
    } finally {
      await dropRefusal(sequelize, dialect)
    }
  })

  it('fails a run whose return value is larger than maxPayloadBytes, with what to do', async () => {
    const proto = app.Order.prototype as unknown as Record<string, unknown>
    proto.repeat = (n: number): string => 'z'.repeat(n)
    const order = await app.Order.create({ total: 1 })
    const big = await order.async('repeat' as never, { args: [250_000] as never })
    const fits = await order.async('echo', { args: ['y'.repeat(100_000)] })
    await app.tasks.createWorker().workOff()
    await big.reload()
    expect(big.status).toBe('failed')
    expect(big.error).toMatch(
      /^SerializationError: The return value takes 250002 bytes, more than maxPayloadBytes \(200000\)\. Store large results elsewhere/,
    )
    await fits.reload()
    // 100 KB: more than MySQL's TEXT (64 KiB) holds; the payload columns are wide enough.
    expect([fits.status, (fits.result as string).length]).toEqual(['succeeded', 100_000])
  })

  it('caps long messages, stacks and the attempt history with a visible marker', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('fail', { args: ['m'.repeat(50_000)], maxAttempts: 30 })
    for (let round = 0; round < 30; round++) {
      await task.update({ ready: 1, scheduledAt: new Date(Date.now() - 1000) })
      await app.tasks.createWorker().workOff()
    }
    await task.reload()
    expect(task.status).toBe('failed')
    expect(task.attempts).toBe(30)
    const history = task.attemptErrors
    expect(history).toHaveLength(25)
    expect(history[0]?.name).toBe('HistoryCut')
    expect(history.at(-1)?.message).toMatch(/^m{8192}… \[41808 more characters cut\]$/)
    expect((task.result as Error).message).toMatch(/more characters cut\]$/)
  })
})
