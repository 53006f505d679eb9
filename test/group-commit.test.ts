/**
 * Contract: a worker groups the outcomes of runs that end while its writes
 * are in flight (src/slots.ts): at most two writes in flight on PostgreSQL
 * and MySQL/MariaDB, one on SQLite and with `batchCompletions`. Counted from
 * the statements the worker runs (the host's `logging` sees them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, type Sequelize } from 'sequelize'
import { installAsync, type AsyncTasks } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'

/** Opened by a test: every run waiting on it ends in the same tick. */
let gate: { promise: Promise<void>; open: () => void }
const closedGate = (): typeof gate => {
  let open!: () => void
  const promise = new Promise<void>((resolve) => (open = resolve))
  return { promise, open }
}

class Gated extends Model {
  declare id: number
  async pass(): Promise<number> {
    await gate.promise
    return this.id
  }
}

// An outcome write sets every state column; `attempt_errors = CASE` is in it on every dialect.
const isOutcomeWrite = (sql: string): boolean =>
  sql.startsWith('Executing (sequelize-async):') && sql.includes('attempt_errors = CASE')

describe.each(dialects)('outcome writes on %s', (dialect) => {
  let db: TestDb, sequelize: Sequelize, tasks: AsyncTasks
  let counting = false
  const writes: string[] = []

  beforeAll(async () => {
    db = await createDb(dialect, 'groupcommit')
    sequelize = db.connect({
      logging: (sql: string) => {
        if (counting && isOutcomeWrite(sql)) writes.push(sql)
      },
    })
    Gated.init({ label: DataTypes.STRING }, { sequelize, modelName: 'Gated' })
    tasks = installAsync(sequelize, { logger: quietLogger() })
    await tasks.migrate()
    await sequelize.sync()
  })
  afterAll(async () => {
    await sequelize?.close()
    await db?.drop()
  })

  async function endTogether(options: { batchCompletions?: boolean }): Promise<number> {
    const records = await Promise.all(
      Array.from({ length: 10 }, (_, i) => Gated.create({ label: `g${i}` })),
    )
    const queued = await Promise.all(records.map((r) => r.async('pass')))
    gate = closedGate()
    writes.length = 0
    const worker = tasks.createWorker({ concurrency: 10, pollInterval: 50, ...options })
    let started = 0
    worker.on('task:start', () => started++)
    await worker.start()
    const deadline = Date.now() + 10_000
    while (started < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(started).toBe(10)
    counting = true
    gate.open()
    const done = Date.now() + 10_000
    for (;;) {
      const stored = await Promise.all(queued.map((t) => t.reload()))
      if (stored.every((t) => t.status === 'succeeded') || Date.now() > done) break
      await new Promise((r) => setTimeout(r, 20))
    }
    counting = false
    await worker.stop()
    for (const [i, t] of queued.entries()) {
      expect(t.status).toBe('succeeded')
      expect(t.result).toBe((records[i] as Gated).id)
    }
    return writes.length
  }

  it('writes ten outcomes that end in one tick in a few grouped writes, every one stored', async () => {
    // The first run to end is written at once; the others wait for a write
    // in flight to finish and go together.
    const n = await endTogether({})
    expect(n).toBeGreaterThanOrEqual(dialect === 'sqlite' ? 2 : 3)
    expect(n).toBeLessThanOrEqual(dialect === 'sqlite' ? 2 : 4)
  })

  it('keeps one write in flight with batchCompletions', async () => {
    expect(await endTogether({ batchCompletions: true })).toBe(2)
  })
})
