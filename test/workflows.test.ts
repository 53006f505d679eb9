/**
 * Workflows and live tasks on every dialect, with the worker in another
 * process: dependencies (results passed down a chain, a failure cancelling
 * the tasks after it), wait() from a third process, progress, cancelling a
 * running task, snooze.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, type ModelStatic, type Sequelize } from 'sequelize'
import {
  AsyncTask as AsyncTaskModel,
  EnqueueError,
  installAsync,
  type AsyncTask,
  type AsyncTasks,
  type EnqueueOptions,
} from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'

const script = fileURLToPath(new URL('./fixtures/workflow-process.mjs', import.meta.url))

function spawnRole(db: TestDb, env: Record<string, string>): ChildProcess {
  return fork(script, [], {
    env: { ...process.env, ASYNC_TEST_DB: JSON.stringify(db.config), ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

const firstMessage = <T>(child: ChildProcess): Promise<T> =>
  new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T))
    child.once('exit', (code) => reject(new Error(`process exited ${code} before answering`)))
  })

type Enq = Model & { async(action: string, options?: EnqueueOptions): Promise<AsyncTask> }

describe.each(dialects)('workflows on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let tasks: AsyncTasks
  let Order: ModelStatic<Model>
  let Run: ModelStatic<Model>
  let order: Enq
  let worker: ChildProcess

  beforeAll(async () => {
    db = await createDb(dialect, 'workflows')
    sequelize = db.connect()
    class O extends Model {
      charge(): void {}
      receipt(): void {}
      feedback(): void {}
      summary(): void {}
      decline(): void {}
      slow(): void {}
      stubborn(): void {}
      sleepy(): void {}
    }
    O.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
    class R extends Model {}
    R.init({ taskId: DataTypes.INTEGER, what: DataTypes.STRING }, { sequelize, modelName: 'Run' })
    Order = O
    Run = R
    tasks = installAsync(sequelize, { logger: quietLogger() })
    await tasks.migrate()
    await sequelize.sync()
    order = (await Order.create({ total: 42 })) as Enq
    worker = spawnRole(db, { ROLE: 'work' })
    await firstMessage(worker)
  }, 60_000)

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve))
      worker.send('stop')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
      if (worker.exitCode === null) worker.kill('SIGKILL')
    }
    await sequelize.close()
    await db.drop()
  })

  it('a three-level chain passes each result down, enqueued in one transaction', async () => {
    const feedback = await sequelize.transaction(async (transaction) => {
      const charge = await order.async('charge', { args: [42], transaction })
      const receipt = await order.async('receipt', { after: charge, transaction })
      expect(receipt.ready).toBe(3)
      return order.async('feedback', { after: [receipt.id], transaction })
    })
    const done = await feedback.wait({ timeout: 30_000 })
    expect(done.status).toBe('succeeded')
    expect(done.result).toBe('feedback after a receipt for 42')
  })

  it('a task after many parents reads their results in the order of after', async () => {
    const parents = await Promise.all([1, 2, 3].map((n) => order.async('charge', { args: [n] })))
    const summary = await order.async('summary', { after: parents })
    expect((await summary.wait({ timeout: 30_000 })).result).toBe(6)
  })

  it('enqueueMany: a batch, then a summary task after all of it (and items with after in a batch)', async () => {
    const sends = await tasks.enqueueMany(
      [10, 20, 30].map((n) => ({ target: order, action: 'charge', args: [n] })),
    )
    const [summary, receipt] = await tasks.enqueueMany([
      { target: order, action: 'summary', after: sends },
      { target: order, action: 'receipt', after: sends[0] },
    ])
    expect((await summary!.wait({ timeout: 30_000 })).result).toBe(60)
    expect((await receipt!.wait({ timeout: 30_000 })).result).toEqual({ receiptFor: 10 })
  })

  it('a parent that fails for good cancels the tasks after it, naming it', async () => {
    const charge = await order.async('decline')
    const receipt = await order.async('receipt', { after: charge })
    const feedback = await order.async('feedback', { after: receipt })
    await feedback.wait({ timeout: 30_000 })
    await receipt.reload()
    expect(receipt.status).toBe('cancelled')
    expect(receipt.error).toMatch(new RegExp(`DependencyError: .*task ${charge.id} .*failed`))
    expect(feedback.status).toBe('cancelled')
    expect(feedback.error).toMatch(new RegExp(`task ${receipt.id} .*was cancelled`))
    expect((feedback.result as Error).name).toBe('DependencyError')
    expect(feedback.attempts).toBe(0)
  })

  it('after a parent that already ended: due at once, or cancelled at once', async () => {
    const charge = await order.async('charge', { args: [5] })
    await charge.wait({ timeout: 30_000 })
    const receipt = await order.async('receipt', { after: charge })
    expect(receipt.ready).toBe(1)
    expect((await receipt.wait({ timeout: 30_000 })).result).toEqual({ receiptFor: 5 })
    const declined = await order.async('decline')
    await declined.wait({ timeout: 30_000 })
    const never = await order.async('receipt', { after: declined })
    expect(never.status).toBe('cancelled')
  })

  it('cancelling a pending parent cancels its waiting children', async () => {
    const later = await order.async('charge', {
      args: [1],
      scheduledAt: new Date(Date.now() + 3_600_000),
    })
    const child = await order.async('receipt', { after: later })
    await later.cancel()
    await child.reload()
    expect(child.status).toBe('cancelled')
    expect(child.error).toMatch(/was cancelled/)
  })

  it('deleting a pending parent cancels its waiting children in the same transaction', async () => {
    const parent = await order.async('charge', {
      args: [3],
      scheduledAt: new Date(Date.now() + 3_600_000),
    })
    const child = await order.async('receipt', { after: parent })
    const grandchild = await order.async('feedback', { after: child })
    // What the dashboard's and the CLI's delete call.
    expect(
      await (tasks.AsyncTask as unknown as typeof AsyncTaskModel).lifecycle.remove([parent.id]),
    ).toBe(1)
    await Promise.all([child.reload(), grandchild.reload()])
    expect(child.status).toBe('cancelled')
    expect(child.error).toMatch(new RegExp(`task ${parent.id}, which it runs after, was deleted`))
    expect(grandchild.status).toBe('cancelled')
    expect(grandchild.error).toMatch(new RegExp(`task ${child.id} .*was cancelled`))
  })

  it('retrying a cancelled parent, then its cancelled child, runs the chain again', async () => {
    const parent = await order.async('charge', {
      args: [7],
      scheduledAt: new Date(Date.now() + 3_600_000),
    })
    const child = await order.async('receipt', { after: parent })
    await parent.cancel()
    expect((await child.reload()).status).toBe('cancelled')
    await child.retry()
    expect(child.status).toBe('cancelled') // its parent is still cancelled
    await parent.retry()
    await child.retry()
    // Waiting on its parent again (or already released, if the parent ran meanwhile).
    expect(child.status).toBe('pending')
    expect([1, 3]).toContain(child.ready)
    expect((await child.wait({ timeout: 30_000 })).result).toEqual({ receiptFor: 7 })
  })

  it('refuses after naming a task that does not exist, and writes nothing', async () => {
    const before = await tasks.AsyncTask.count()
    await expect(order.async('receipt', { after: 99_999_999 })).rejects.toThrow(EnqueueError)
    await expect(order.async('receipt', { after: 'x' as never })).rejects.toThrow(/Option after/)
    expect(await tasks.AsyncTask.count()).toBe(before)
  })

  it('wait() from another process resolves to the result, and times out cleanly', async () => {
    const task = await order.async('slow', { args: [600] })
    const waiter = spawnRole(db, { ROLE: 'wait', TASK_ID: String(task.id), TIMEOUT: '30000' })
    const got = await firstMessage<{ status: string; result: unknown }>(waiter)
    expect(got).toMatchObject({ status: 'succeeded', result: 'done' })
    const parked = await order.async('charge', {
      args: [1],
      scheduledAt: new Date(Date.now() + 3_600_000),
    })
    const impatient = spawnRole(db, { ROLE: 'wait', TASK_ID: String(parked.id), TIMEOUT: '300' })
    const timedOut = await firstMessage<{ error: string; message: string; ms: number }>(impatient)
    expect(timedOut, JSON.stringify(timedOut)).toMatchObject({ error: 'TimeoutError' })
    expect(timedOut.message).toMatch(/did not finish within 300 ms; it is pending/)
    expect(timedOut.ms).toBeLessThan(5_000)
  })

  it('progress is stored while the task runs, and reads 1 once it succeeded', async () => {
    const task = await order.async('slow', { args: [1500] })
    await waitFor(
      async () => {
        await task.reload()
        return task.status === 'running' && (task.progress ?? 0) > 0
      },
      10_000,
      'progress of a running task',
    )
    expect(task.progress).toBeGreaterThan(0)
    expect(task.progress).toBeLessThanOrEqual(1)
    expect(task.progressNote).toBe('working')
    await task.wait({ timeout: 30_000 })
    expect(task.status).toBe('succeeded')
    expect(task.progress).toBe(1)
  })

  it('cancelling a running task aborts its signal within one heartbeat and stores cancelled', async () => {
    const task = await order.async('slow', { args: [60_000] })
    await waitFor(async () => (await task.reload()).status === 'running', 10_000, 'a run')
    const asked = Date.now()
    await task.cancel()
    expect(task.status).toBe('running')
    expect(task.cancelRequested).toBe(true)
    await task.wait({ timeout: 20_000 })
    // The worker's heartbeat runs every leaseMs / 3 = 1 s there.
    expect(Date.now() - asked).toBeLessThan(5_000)
    expect(task.status).toBe('cancelled')
    expect(task.success).toBeNull()
    expect(task.error).toMatch(/^CancelledError: /)
    const runs = await Run.findAll({ where: { taskId: task.id } })
    expect(runs.map((r) => r.get('what'))).toEqual(['aborted CancelledError'])
  })

  it('a result returned after a cancel is not stored as success', async () => {
    const task = await order.async('stubborn', { args: [1500] })
    await waitFor(async () => (await task.reload()).status === 'running', 10_000, 'a run')
    await task.cancel()
    await task.wait({ timeout: 20_000 })
    expect(task.status).toBe('cancelled')
    expect(task.result).toBeInstanceOf(Error)
    await expect(task.cancel()).rejects.toThrow(/only pending or running tasks/)
  })

  it('snooze ends a run without counting an attempt', async () => {
    const task = await order.async('sleepy')
    await task.wait({ timeout: 30_000 })
    expect(task.status).toBe('succeeded')
    expect(task.result).toBe(3)
    expect(task.attempts).toBe(1)
    expect(task.error).toBeNull()
  })
})
