/**
 * Several worker processes share one table: 4 processes × concurrency 4 drain
 * 2,000 tasks on every dialect, and each task runs exactly once; and 4
 * processes each calling workOff() at the same moment all resolve (on
 * MariaDB three of four used to reject with a deadlock from the claim).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, QueryTypes, type ModelStatic, type Sequelize } from 'sequelize'
import { installAsync, type AsyncTasks } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'

const WORKERS = 4
const TASKS = 2000
const script = fileURLToPath(new URL('./fixtures/drain-worker.mjs', import.meta.url))

/** A process that runs workOff() once at `goAt`; resolves to what it printed last. */
async function workOffOnce(db: TestDb, goAt: number): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      ASYNC_TEST_DB: JSON.stringify(db.config),
      CONCURRENCY: '4',
      MODE: 'workOff',
      GO_AT: String(goAt),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const [code] = (await once(child, 'exit')) as [number]
  expect(code, out).toBe(0)
  return JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>
}

function startWorker(db: TestDb): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ASYNC_TEST_DB: JSON.stringify(db.config), CONCURRENCY: '4' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${out}`)), 20_000)
    child.stdout.on('data', () => {
      if (out.includes('ready')) {
        clearTimeout(timer)
        resolve({ child, output: () => out })
      }
    })
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)))
  })
}

describe.each(dialects)('worker processes on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let tasks: AsyncTasks
  const children: ChildProcess[] = []

  beforeAll(async () => {
    db = await createDb(dialect, 'processes')
    sequelize = db.connect()
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await sequelize.close()
    await db.drop()
  })

  it(`${WORKERS} processes × concurrency 4 run ${TASKS} tasks exactly once`, async () => {
    class Order extends Model {
      work(): void {}
    }
    Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
    class Execution extends Model {}
    Execution.init(
      { taskId: DataTypes.INTEGER, pid: DataTypes.INTEGER },
      { sequelize, modelName: 'Execution' },
    )
    tasks = installAsync(sequelize, { logger: quietLogger() })
    await tasks.migrate()
    await sequelize.sync()
    const order = await Order.create({ total: 1 })
    const template = (await order.async('work')).get({ plain: true }) as Record<string, unknown>
    delete template.id
    for (let i = 1; i < TASKS; i += 500) {
      const n = Math.min(500, TASKS - i)
      await tasks.AsyncTask.bulkCreate(Array.from({ length: n }, () => ({ ...template })) as never)
    }
    expect(await tasks.AsyncTask.count()).toBe(TASKS)

    const started = Date.now()
    const workers = await Promise.all(Array.from({ length: WORKERS }, () => startWorker(db)))
    children.push(...workers.map((w) => w.child))
    const deadline = Date.now() + 120_000
    let done = 0
    while (Date.now() < deadline) {
      const dead = workers.find((w) => w.child.exitCode !== null)
      if (dead) throw new Error(`a worker process died: ${dead.output()}`)
      done = await tasks.AsyncTask.count({ where: { status: ['succeeded', 'failed'] } })
      if (done === TASKS) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const seconds = (Date.now() - started) / 1000
    const stats = await Promise.all(
      workers.map(async ({ child, output }) => {
        child.kill('SIGTERM')
        const [code] = (await once(child, 'exit')) as [number]
        expect(code, output()).toBe(0)
        return JSON.parse(output().trim().split('\n').at(-1)!) as { pid: number; succeeded: number }
      }),
    )
    expect(done).toBe(TASKS)
    expect(await tasks.AsyncTask.count({ where: { status: 'succeeded', success: true } })).toBe(
      TASKS,
    )
    const dupes = await sequelize.query(
      'SELECT "taskId", COUNT(*) AS n FROM "Executions" GROUP BY "taskId" HAVING COUNT(*) > 1'.replaceAll(
        '"',
        dialect === 'mysql' ? '`' : '"',
      ),
      { type: QueryTypes.SELECT },
    )
    expect(dupes).toEqual([])
    expect(await Execution.count()).toBe(TASKS)
    expect(stats.reduce((sum, s) => sum + s.succeeded, 0)).toBe(TASKS)
    // Every process took a share: the claim does not serialize on one worker.
    for (const s of stats) expect(s.succeeded).toBeGreaterThan(0)
    console.log(
      `[${dialect}] ${TASKS} tasks, ${WORKERS}×4 processes: ${seconds.toFixed(1)} s (${Math.round(TASKS / seconds)} tasks/s incl. start-up); per process ${stats.map((s) => s.succeeded).join('/')}`,
    )
  }, 180_000)

  it(`${WORKERS} processes calling workOff() at once over ${TASKS} tasks all resolve, each task once`, async () => {
    // The models and installation of the test above, emptied.
    const { AsyncTask } = tasks
    await AsyncTask.destroy({ where: {} })
    await (sequelize.models.Execution as ModelStatic<Model>).destroy({ where: {} })
    const Order = sequelize.models.Order as typeof Model & { findOne(): Promise<Model> }
    const order = (await Order.findOne()) as Model & { async(a: string): Promise<Model> }
    const first = (await order.async('work')).get({ plain: true }) as Record<string, unknown>
    delete first.id
    for (let i = 1; i < TASKS; i += 500) {
      const n = Math.min(500, TASKS - i)
      await AsyncTask.bulkCreate(Array.from({ length: n }, () => ({ ...first })) as never)
    }
    const goAt = Date.now() + 6000
    const results = await Promise.all(Array.from({ length: WORKERS }, () => workOffOnce(db, goAt)))
    for (const r of results) expect(r, JSON.stringify(r)).toMatchObject({ ok: true })
    expect(results.reduce((sum, r) => sum + Number(r.succeeded), 0)).toBe(TASKS)
    expect(await AsyncTask.count({ where: { status: 'succeeded' } })).toBe(TASKS)
    const Execution = sequelize.models.Execution as ModelStatic<Model>
    expect(await Execution.count()).toBe(TASKS)
  }, 180_000)
})
