/**
 * Flow control across processes, on every dialect: the rules hold over
 * several worker processes (and enqueuers), enforced by the database.
 * Start and end times are recorded from inside the tasks.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, type ModelStatic, type Sequelize } from 'sequelize'
import { installAsync, type AsyncTasks } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'

const script = fileURLToPath(new URL('./fixtures/flow-process.mjs', import.meta.url))

function start(db: TestDb, env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(script, [], {
    env: { ...process.env, ASYNC_TEST_DB: JSON.stringify(db.config), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child))
    child.once('exit', (code) => reject(new Error(`flow process exited ${code}`)))
  })
}

const stop = (child: ChildProcess): Promise<unknown> =>
  new Promise((resolve) => {
    child.once('exit', resolve)
    child.send('stop')
  })

interface SpanRow {
  taskId: number
  key: string
  startMs: string | number
  endMs: string | number
}

/** The most runs of one key that overlapped in time. */
function maxOverlap(spans: SpanRow[], key: string): number {
  const mine = spans.filter((s) => s.key === key).map((s) => [Number(s.startMs), Number(s.endMs)])
  let most = 0
  for (const [start] of mine) {
    most = Math.max(most, mine.filter(([s, e]) => s! <= start! && e! > start!).length)
  }
  return most
}

describe.each(dialects)('flow control across processes on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let tasks: AsyncTasks
  let Order: ModelStatic<Model>
  let Span: ModelStatic<Model>
  const children: ChildProcess[] = []

  beforeAll(async () => {
    db = await createDb(dialect, 'flowproc')
    sequelize = db.connect()
    class O extends Model {
      span(): void {}
    }
    O.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
    class S extends Model {}
    S.init(
      {
        taskId: DataTypes.INTEGER,
        key: DataTypes.STRING,
        startMs: DataTypes.BIGINT,
        endMs: DataTypes.BIGINT,
        pid: DataTypes.INTEGER,
      },
      { sequelize, modelName: 'Span' },
    )
    Order = O
    Span = S
    tasks = installAsync(sequelize, { logger: quietLogger() })
    await tasks.migrate()
    await sequelize.sync()
    await O.create({ total: 1 })
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await sequelize.close()
    await db.drop()
  })

  it('eight processes enqueuing one unique key at once create one task', async () => {
    const enqueuers = await Promise.all(
      Array.from({ length: 8 }, () => start(db, { ROLE: 'enqueue', UNIQUE: 'race-1' })),
    )
    children.push(...enqueuers)
    const ids = await Promise.all(
      enqueuers.map(
        (child) =>
          new Promise<number>((resolve) => {
            child.once('message', (m: { id: number }) => resolve(m.id))
            child.send('go')
          }),
      ),
    )
    expect(new Set(ids).size).toBe(1)
    expect(await tasks.AsyncTask.count({ where: { uniqueKey: 'race-1' } })).toBe(1)
  })

  it('several worker processes keep every key and a capped queue within their limits', async () => {
    await tasks.AsyncTask.destroy({ where: {} })
    const order = (await Order.findByPk(1)) as Model & {
      async(action: string, options: object): Promise<unknown>
    }
    await tasks.setQueueLimits('capped', { concurrency: 3 })
    // 100 keys of limit 1, a hot key of limit 2, and a capped queue.
    for (let i = 0; i < 200; i++) {
      await order.async('span', { args: [`k${i % 100}`, 20], concurrencyKey: `k${i % 100}` })
    }
    for (let i = 0; i < 40; i++) {
      await order.async('span', { args: ['hot', 30], concurrencyKey: 'hot', concurrencyLimit: 2 })
      await order.async('span', { args: ['capped', 30], queue: 'capped' })
    }
    const workers = await Promise.all([1, 2, 3].map(() => start(db, { ROLE: 'work' })))
    children.push(...workers)
    const total = 280
    await waitFor(async () => (await Span.count()) >= total, 120_000, `${total} spans`, 200)
    await Promise.all(workers.map(stop))
    const spans = (await Span.findAll({ raw: true })) as unknown as SpanRow[]
    expect(new Set(spans.map((s) => s.taskId)).size).toBe(total) // each ran once
    for (let k = 0; k < 100; k++) expect(maxOverlap(spans, `k${k}`), `k${k}`).toBe(1)
    expect(maxOverlap(spans, 'hot')).toBeLessThanOrEqual(2)
    expect(maxOverlap(spans, 'capped')).toBeLessThanOrEqual(3)
    expect(await tasks.AsyncTask.count({ where: { status: 'succeeded' } })).toBe(total)
    // Every permit came back: handed on to the key's next task, or given
    // back to the count once the key had nothing blocked.
    const [counts] = await sequelize.query(
      'SELECT concurrency_key, holders FROM async_concurrency WHERE holders <> 0',
    )
    expect(counts).toEqual([])
  })

  it('several worker processes start no more than max tasks of a rate-limited queue per window', async () => {
    await tasks.AsyncTask.destroy({ where: {} })
    await tasks.setQueueLimits('rated', { rateLimit: { max: 5, per: 1000 } })
    const order = (await Order.findByPk(1)) as Model & {
      async(action: string, options: object): Promise<unknown>
    }
    for (let i = 0; i < 16; i++) await order.async('span', { args: ['rated', 1], queue: 'rated' })
    const workers = await Promise.all([1, 2].map(() => start(db, { ROLE: 'work' })))
    children.push(...workers)
    await waitFor(
      async () =>
        (await tasks.AsyncTask.count({ where: { queue: 'rated', status: 'succeeded' } })) === 16,
      60_000,
      '16 rated tasks',
      100,
    )
    await Promise.all(workers.map(stop))
    const rows = await tasks.AsyncTask.findAll({ where: { queue: 'rated' } })
    const perWindow = new Map<number, number>()
    for (const row of rows) {
      const window = Math.floor(row.startedAt!.getTime() / 1000)
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1)
    }
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(5)
  })
})
