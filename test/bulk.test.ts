/**
 * Contract: bulk enqueue (`tasks.enqueueMany`, `Model.asyncEach`), a
 * record's tasks (`record.asyncTasks`) and `onDestroy` on every dialect —
 * order and ids, all or nothing (a refusal or a database error in the
 * middle writes nothing), transactions, destroy in the destroy's
 * transaction, and worker processes running a bulk-enqueued batch.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DataTypes, Model, QueryTypes, type ModelStatic, type Sequelize } from 'sequelize'
import { EnqueueError, installAsync, SerializationError } from '../src/index.js'
import type { AsyncTask } from '../src/index.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { calls, defineApp, Newsletter, quietLogger } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'
import { parseInspect } from '../src/cli/inspect/args.js'

class Invoice extends Model {
  declare id: number
  send(): string {
    return `sent ${this.id}`
  }
}

const plain = (t: AsyncTask): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(t.get({ plain: true }) as Record<string, unknown>).map(([k, v]) => [
      k,
      v instanceof Date ? v.getTime() : v,
    ]),
  )

/** A trigger that makes the database refuse a row whose args contain "boom". */
async function installBoom(sequelize: Sequelize, dialect: string): Promise<() => Promise<void>> {
  if (dialect === 'sqlite') {
    await sequelize.query(`CREATE TRIGGER boom BEFORE INSERT ON async_tasks
      WHEN NEW.args LIKE '%boom%' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`)
    return async () => void (await sequelize.query('DROP TRIGGER boom'))
  }
  if (dialect === 'postgres') {
    await sequelize.query(`CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN
      IF NEW.args LIKE '%boom%' THEN RAISE EXCEPTION 'boom refused'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql`)
    await sequelize.query(
      'CREATE TRIGGER boom BEFORE INSERT ON async_tasks FOR EACH ROW EXECUTE FUNCTION boom()',
    )
    return async () => {
      await sequelize.query('DROP TRIGGER boom ON async_tasks')
      await sequelize.query('DROP FUNCTION boom()')
    }
  }
  await sequelize.query(`CREATE TRIGGER boom BEFORE INSERT ON async_tasks FOR EACH ROW
    BEGIN IF NEW.args LIKE '%boom%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom refused'; END IF; END`)
  return async () => void (await sequelize.query('DROP TRIGGER boom'))
}

describe.each(dialects)('bulk enqueue and a record’s tasks on %s', (dialect) => {
  let Paranoid: typeof Invoice
  const t = useTestApp(dialect, 'bulk', {
    clean: true,
    setup: ({ tasks }) => {
      class I extends Invoice {}
      Object.defineProperty(I, 'name', { value: 'Invoice' })
      I.init({}, { sequelize: tasks.sequelize, modelName: 'Invoice', paranoid: true })
      Paranoid = I
    },
  })
  let sequelize: Sequelize, app: App
  beforeAll(() => ({ sequelize, app } = t))

  it('enqueueMany stores every item, across chunks, and resolves to the tasks in input order', async () => {
    const orders = await app.Order.bulkCreate(Array.from({ length: 5 }, (_, i) => ({ total: i })))
    const later = new Date(Date.now() + 3_600_000)
    const items = Array.from({ length: 2500 }, (_, i) => {
      if (i % 5 === 1) return { target: Newsletter, action: 'deliverAll', args: [`n${i}`] }
      if (i % 5 === 2)
        return { target: app.Order, action: 'recalculateTotals', args: [i], queue: 'reports' }
      if (i % 5 === 3)
        return {
          target: orders[i % 5]!,
          action: 'chargeCreditCard',
          args: [i, 1],
          scheduledAt: later,
          priority: 3,
        }
      if (i % 5 === 4)
        return {
          target: orders[i % 5]!,
          action: 'sendConfirmationEmail',
          concurrencyKey: true,
          maxAttempts: 3,
          timeout: 5000,
        }
      return { target: orders[0]!, action: 'echo', args: [{ i, at: later }] }
    })
    const stored = await app.tasks.enqueueMany(items)
    expect(stored).toHaveLength(2500)
    expect(new Set(stored.map((s) => s.id)).size).toBe(2500)
    const rows = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
    expect(rows).toHaveLength(2500)
    const byId = new Map(rows.map((row) => [row.id, row]))
    stored.forEach((task, i) => {
      const row = byId.get(task.id)!
      expect(row.action).toBe(items[i]!.action)
      // Admission after commit changes a keyed task's row, not the instance built before.
      const keyed = task.concurrencyKey !== null
      const omit = ({ ready, permits, updatedAt, ...rest }: Record<string, unknown>) =>
        keyed ? rest : { ...rest, ready, permits, updatedAt }
      expect(omit(plain(task))).toEqual(omit(plain(row)))
    })
    expect(stored[0]!.args).toEqual([{ i: 0, at: later }])
    expect(stored[3]).toMatchObject({ priority: 3, ready: 0, objectId: String(orders[3]!.id) })
    expect(stored[2]).toMatchObject({ queue: 'reports', objectType: 'Order', objectId: null })
    expect(stored[4]).toMatchObject({
      maxAttempts: 3,
      timeoutMs: 5000,
      concurrencyKey: `Order(${orders[4]!.id})`,
    })
    // Admitted after commit: the first of each key is due, the rest wait.
    const due = await app.tasks.AsyncTask.count({
      where: { action: 'sendConfirmationEmail', ready: 1 },
    })
    expect(due).toBe(1)
  })

  it('a worker in this process runs a bulk-enqueued batch', async () => {
    const orders = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }, { total: 3 }])
    await app.Order.asyncEach(orders, 'sendConfirmationEmail')
    await app.tasks.enqueueMany([{ target: Newsletter, action: 'deliverAll', args: ['weekly'] }])
    const counts = await app.tasks.createWorker({ concurrency: 2 }).workOff()
    expect(counts).toMatchObject({ succeeded: 4, failed: 0 })
    expect(calls.sort()).toEqual(
      [...orders.map((o) => `email:${o.id}`), 'newsletter:weekly'].sort(),
    )
  })

  it('refuses the whole batch for one bad item, naming its index, and writes nothing', async () => {
    const order = await app.Order.create({ total: 1 })
    const good = { target: order, action: 'sendConfirmationEmail' }
    const batch = (bad: object) => [good, good, good, bad, good]
    const cases: Array<[object, RegExp, typeof EnqueueError]> = [
      [{ target: order, action: 'noSuchMethod' }, /item 3: Order#"?noSuchMethod/, EnqueueError],
      [
        { target: app.Order.build({ total: 1 }), action: 'sendConfirmationEmail' },
        /item 3: .*unsaved/,
        EnqueueError,
      ],
      [{ target: order, action: 'echo', args: [() => 1] }, /item 3: /, SerializationError],
      [
        { target: order, action: 'echo', args: ['x'.repeat(1024 * 1024 + 1)] },
        /item 3: .*maxPayloadBytes/,
        EnqueueError,
      ],
      [
        { target: order, action: 'echo', args: [1], priority: 'high' },
        /item 3: Option priority/,
        EnqueueError,
      ],
      [
        { target: order, action: 'echo', transaction: null },
        /item 3: .*own transaction/,
        EnqueueError,
      ],
      [{ target: 'Order', action: 'echo' }, /item 3: target/, EnqueueError],
    ]
    for (const [bad, message, type] of cases) {
      const err = await app.tasks.enqueueMany(batch(bad) as never).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(type)
      expect((err as Error).message).toMatch(message)
      expect((err as { index?: number }).index).toBe(3)
    }
    expect(await app.tasks.AsyncTask.count()).toBe(0)
  })

  it('rolls back every chunk already written when the database refuses a row in the middle', async () => {
    const order = await app.Order.create({ total: 1 })
    const items = Array.from({ length: 1500 }, (_, i) => ({
      target: order,
      action: 'echo',
      args: [i === 1200 ? 'boom' : i],
    }))
    const drop = await installBoom(sequelize, dialect)
    try {
      await expect(app.tasks.enqueueMany(items)).rejects.toThrow(/boom refused/)
      expect(await app.tasks.AsyncTask.count()).toBe(0)
      // The same in the app's transaction: the app's rollback undoes the first chunk.
      const tx = await sequelize.transaction()
      await expect(app.tasks.enqueueMany(items, { transaction: tx })).rejects.toThrow(/boom/)
      await tx.rollback()
      expect(await app.tasks.AsyncTask.count()).toBe(0)
    } finally {
      await drop()
    }
  })

  it.runIf(dialect === 'mysql')(
    'MySQL 8’s way (ids from the insert id, checked against the rows) gives the same ids',
    async () => {
      // The server here is MariaDB, which has INSERT … RETURNING; this takes
      // the path a MySQL 8 server (without it) takes.
      const lifecycle = (app.tasks.AsyncTask as unknown as { lifecycle: { flavour?: unknown } })
        .lifecycle
      const saved = lifecycle.flavour
      lifecycle.flavour = Promise.resolve('insertId')
      try {
        const order = await app.Order.create({ total: 1 })
        const stored = await app.tasks.enqueueMany(
          Array.from({ length: 1200 }, (_, i) => ({ target: order, action: 'echo', args: [i] })),
        )
        const rows = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
        expect(rows.map((r) => r.id)).toEqual(stored.map((s) => s.id))
        expect(rows.map((r) => r.args)).toEqual(stored.map((_, i) => [i]))
      } finally {
        lifecycle.flavour = saved
      }
    },
  )

  it('inside the app’s transaction: nothing stored if it rolls back, all of it once it commits', async () => {
    const order = await app.Order.create({ total: 1 })
    const items = [
      { target: order, action: 'sendConfirmationEmail' },
      { target: order, action: 'chargeCreditCard', args: [1, 2] },
    ]
    const rolledBack = await sequelize.transaction()
    const gone = await app.tasks.enqueueMany(items, { transaction: rolledBack })
    expect(gone).toHaveLength(2)
    await rolledBack.rollback()
    expect(await app.tasks.AsyncTask.count()).toBe(0)

    const committed = await sequelize.transaction()
    const kept = await app.tasks.enqueueMany(items, { transaction: committed })
    await committed.commit()
    const rows = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
    expect(rows.map((r) => r.id)).toEqual(kept.map((k) => k.id))
    expect(rows.map((r) => r.action)).toEqual(['sendConfirmationEmail', 'chargeCreditCard'])
  })

  it('unique items resolve to the holder of their key, in the batch or before it', async () => {
    const order = await app.Order.create({ total: 1 })
    const held = await order.async('echo', { args: [1], unique: 'k-held' })
    const [a, b, c, d] = await app.tasks.enqueueMany([
      { target: order, action: 'echo', args: [2], unique: 'k-new' },
      { target: order, action: 'echo', args: [3], unique: 'k-held' },
      { target: order, action: 'echo', args: [4], unique: 'k-new' },
      { target: order, action: 'echo', args: [5] },
    ])
    expect(b!.id).toBe(held.id)
    expect(c!.id).toBe(a!.id)
    expect(d!.id).not.toBe(a!.id)
    expect(await app.tasks.AsyncTask.count()).toBe(3)
  })

  it('asyncEach enqueues one method on each record, in order, all or nothing', async () => {
    const orders = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }, { total: 3 }])
    const stored = await app.Order.asyncEach(orders, 'chargeCreditCard', {
      args: [5, 0],
      priority: 7,
    })
    expect(stored.map((s) => s.objectId)).toEqual(orders.map((o) => String(o.id)))
    expect(stored.every((s) => s.action === 'chargeCreditCard' && s.priority === 7)).toBe(true)
    expect(stored[1]!.args).toEqual([5, 0])
    const line = await app.LineItem.create({ name: 'x' })
    await expect(
      app.Order.asyncEach([orders[0]!, line as never, orders[2]!], 'sendConfirmationEmail'),
    ).rejects.toThrow(/item 1: .*not a Order record/)
    await expect(app.Order.asyncEach(orders, 'nope' as never)).rejects.toThrow(/item 0/)
    expect(await app.tasks.AsyncTask.count()).toBe(3)
  })

  it('record.asyncTasks() lists the record’s tasks newest first, filtered by status and action', async () => {
    const [order, other] = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }])
    const first = await order!.async('sendConfirmationEmail')
    const second = await order!.async('chargeCreditCard', { args: [1, 0] })
    const third = await order!.async('sendConfirmationEmail')
    await other!.async('sendConfirmationEmail')
    await app.Order.async('recalculateTotals', { args: [1] })
    await first.cancel()
    const all = await order!.asyncTasks()
    expect(all.map((x) => x.id)).toEqual([third.id, second.id, first.id])
    expect(all[0]).toBeInstanceOf(app.tasks.AsyncTask)
    expect((await order!.asyncTasks({ status: 'pending' })).map((x) => x.id)).toEqual([
      third.id,
      second.id,
    ])
    expect((await order!.asyncTasks({ status: ['cancelled', 'failed'] })).map((x) => x.id)).toEqual(
      [first.id],
    )
    expect(
      (await order!.asyncTasks({ action: 'sendConfirmationEmail', limit: 1 })).map((x) => x.id),
    ).toEqual([third.id])
    await expect(order!.asyncTasks({ status: 'done' as never })).rejects.toThrow(/Option status/)
    await expect(order!.asyncTasks({ limit: 0 })).rejects.toThrow(/Option limit/)
    await expect(app.Order.build({ total: 1 }).asyncTasks()).rejects.toThrow(/unsaved/)
  })

  it('asyncTasks() returns at most 50 by default', async () => {
    const order = await app.Order.create({ total: 1 })
    await app.tasks.enqueueMany(
      Array.from({ length: 60 }, (_, i) => ({ target: order, action: 'echo', args: [i] })),
    )
    const listed = await order.asyncTasks()
    expect(listed).toHaveLength(50)
    expect(listed[0]!.args).toEqual([59])
  })

  it('destroy in a transaction that rolls back leaves the tasks pending', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('sendConfirmationEmail')
    const tx = await sequelize.transaction()
    await order.destroy({ transaction: tx })
    await tx.rollback()
    await task.reload()
    expect(task.status).toBe('pending')
    expect(task.error).toBeNull()
  })

  it('a committed destroy cancels the pending tasks with the reason, in the same transaction', async () => {
    const [order, other] = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }])
    const due = await order!.async('sendConfirmationEmail')
    const scheduled = await order!.schedule(
      new Date(Date.now() + 3_600_000),
      'sendConfirmationEmail',
    )
    const keyed = await order!.async('echo', { args: [1], concurrencyKey: 'k', unique: 'u-1' })
    const waiting = await other!.async('echo', { args: [2], concurrencyKey: 'k' })
    const unrelated = await other!.async('sendConfirmationEmail')
    expect((await waiting.reload()).ready).toBe(2)
    await sequelize.transaction(async (transaction) => {
      await order!.destroy({ transaction })
      // Inside the destroy's transaction, the cancel is already there.
      const inside = await app.tasks.AsyncTask.findByPk(due.id, { transaction })
      expect(inside!.status).toBe('cancelled')
    })
    for (const task of [due, scheduled, keyed]) {
      await task.reload()
      expect(task.status).toBe('cancelled')
      expect(task.error).toBe(`Cancelled: Order(${order!.id}) was destroyed`)
      expect(task.finishedAt).toBeInstanceOf(Date)
    }
    // The key's permit went to the next task of the key; the unique key is free again.
    expect((await waiting.reload()).ready).toBe(1)
    expect((await unrelated.reload()).status).toBe('pending')
    const again = await other!.async('echo', { args: [3], unique: 'u-1' })
    expect(again.id).not.toBe(keyed.id)
  })

  it('leaves a running task alone', async () => {
    const order = await app.Order.create({ total: 1 })
    const running = await order.async('slow', { args: [1500] })
    const pending = await order.async('sendConfirmationEmail', { queue: 'later' })
    const worker = app.tasks.createWorker({ concurrency: 1, pollInterval: 50, queues: ['default'] })
    await worker.start()
    try {
      await waitFor(async () => (await running.reload()).status === 'running', 10_000, 'the run')
      await order.destroy()
      expect((await running.reload()).status).toBe('running')
      expect((await pending.reload()).status).toBe('cancelled')
      await waitFor(async () => (await running.reload()).status !== 'running', 10_000, 'the end')
      expect(running.status).toBe('succeeded')
    } finally {
      await worker.stop()
    }
  })

  it('Model.destroy({ where }) cancels the tasks of every destroyed record, with or without individualHooks', async () => {
    const orders = await app.Order.bulkCreate([
      { total: 1 },
      { total: 1 },
      { total: 2 },
      { total: 3 },
    ])
    const stored = await app.Order.asyncEach(orders, 'sendConfirmationEmail')
    await sequelize.transaction((transaction) =>
      app.Order.destroy({ where: { total: 1 }, transaction }),
    )
    await app.Order.destroy({ where: { total: 2 }, individualHooks: true })
    const statuses = await Promise.all(stored.map(async (s) => (await s.reload()).status))
    expect(statuses).toEqual(['cancelled', 'cancelled', 'cancelled', 'pending'])
    expect(stored[2]!.error).toBe(`Cancelled: Order(${orders[2]!.id}) was destroyed`)
  })

  it('a soft delete of a paranoid model cancels too', async () => {
    const invoice = await Paranoid.create()
    const task = await invoice.async('send')
    await invoice.destroy()
    expect((await Paranoid.findByPk(invoice.id, { paranoid: false }))?.id).toBe(invoice.id)
    expect((await task.reload()).status).toBe('cancelled')
  })
})

describe.each(dialects)('onDestroy: keep on %s', (dialect) => {
  const t = useTestApp(dialect, 'keep', { install: { onDestroy: 'keep' } })

  it('leaves a destroyed record’s tasks pending', async () => {
    const order = await t.app.Order.create({ total: 1 })
    const task = await order.async('sendConfirmationEmail')
    await order.destroy()
    await t.app.Order.destroy({ where: {} })
    expect((await task.reload()).status).toBe('pending')
  })

  it('refuses an unknown onDestroy value', () => {
    expect(() =>
      installAsync(t.db.connect(), { onDestroy: 'drop' as never, logger: quietLogger() }),
    ).toThrow(/onDestroy must be 'cancel' or 'keep'/)
  })
})

const script = fileURLToPath(new URL('./fixtures/drain-worker.mjs', import.meta.url))

describe.each(dialects)('a bulk-enqueued batch in worker processes on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  const children: ChildProcess[] = []
  beforeAll(async () => {
    db = await createDb(dialect, 'bulkproc')
    sequelize = db.connect()
  })
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
    await sequelize.close()
    await db.drop()
  })

  it('two processes run every task of an enqueueMany exactly once', async () => {
    class Order extends Model {
      work(): void {}
    }
    Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
    const Execution: ModelStatic<Model> = sequelize.define('Execution', {
      taskId: DataTypes.INTEGER,
      pid: DataTypes.INTEGER,
    })
    const tasks = installAsync(sequelize, { logger: quietLogger() })
    await tasks.migrate()
    await sequelize.sync()
    const orders = await Order.bulkCreate(Array.from({ length: 300 }, (_, i) => ({ total: i })))
    const stored = await Order.asyncEach(orders, 'work')
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, ASYNC_TEST_DB: JSON.stringify(db.config), CONCURRENCY: '2' },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      children.push(child)
    }
    await waitFor(
      async () => (await tasks.AsyncTask.count({ where: { status: 'succeeded' } })) === 300,
      120_000,
      '300 tasks to succeed',
      250,
    )
    for (const child of children) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    const q = dialect === 'mysql' ? '`' : '"'
    const dupes = await sequelize.query(
      `SELECT ${q}taskId${q} FROM ${q}Executions${q} GROUP BY ${q}taskId${q} HAVING COUNT(*) > 1`,
      { type: QueryTypes.SELECT },
    )
    expect(dupes).toEqual([])
    expect(await Execution.count()).toBe(300)
    const ran = await Execution.findAll({ attributes: ['taskId'] })
    expect(new Set(ran.map((r) => r.get('taskId') as number))).toEqual(
      new Set(stored.map((s) => s.id)),
    )
  })
})

// Compile-time checks (never run): asyncEach checks the method and its arguments like async().
export function typeChecks(app: App, orders: InstanceType<App['Order']>[]): void {
  void app.Order.asyncEach(orders, 'chargeCreditCard', { args: [1, 2] })
  // @ts-expect-error -- not a method of Order
  void app.Order.asyncEach(orders, 'sendConfirmationMail')
  // @ts-expect-error -- chargeCreditCard takes two numbers
  void app.Order.asyncEach(orders, 'chargeCreditCard', { args: ['1', 2] })
  void orders[0]?.asyncTasks({ status: ['pending', 'running'], action: 'x', limit: 5 })
  // @ts-expect-error -- not a status
  void orders[0]?.asyncTasks({ status: 'done' })
}

describe.each(dialects)('onDestroy before migrate on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  afterAll(async () => {
    await sequelize?.close()
    await db?.drop()
  })

  it('a destroy works in an app whose task table was never created', async () => {
    db = await createDb(dialect, 'nomigrate')
    sequelize = db.connect()
    const app = defineApp(sequelize)
    await sequelize.sync() // the app's own tables only; no tasks.migrate()
    const [a, b] = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }])
    await sequelize.transaction((transaction) => a!.destroy({ transaction }))
    await app.Order.destroy({ where: { id: b!.id } })
    expect(await app.Order.count()).toBe(0)
  })
})

describe('script/async list --object', () => {
  it('reads Model:id (the id may hold colons) and refuses what is not one', () => {
    expect(parseInspect(['list', '--object=Order:17']).object).toEqual({ type: 'Order', id: '17' })
    expect(parseInspect(['list', '--object=Key:a:b']).object).toEqual({ type: 'Key', id: 'a:b' })
    for (const bad of ['--object=Order', '--object=:17', '--object=Order:'])
      expect(() => parseInspect(['list', bad])).toThrow(/--object takes Model:id/)
    expect(() => parseInspect(['list', '--object=Order:1', '--target=Order'])).toThrow(
      /drop --target/,
    )
  })
})
