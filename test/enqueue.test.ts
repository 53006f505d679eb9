/**
 * Contract: enqueueing on every dialect — what a row holds, defaults, the
 * refusals, transactions, and a host's sync({ alter: true }).
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { Sequelize } from 'sequelize'
import { EnqueueError, SerializationError } from '../src/index.js'
import { dialects } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { Newsletter } from './helpers/app.js'

describe.each(dialects)('enqueue on %s', (dialect) => {
  const t = useTestApp(dialect, 'enqueue')
  let sequelize: Sequelize, app: App
  beforeAll(() => ({ sequelize, app } = t))

  it('stores a task for an instance method and resolves to its row', async () => {
    const order = await app.Order.create({ total: 5 })
    const task = await order.async('sendConfirmationEmail')
    expect(task).toBeInstanceOf(app.tasks.AsyncTask)
    expect(task.id).toEqual(expect.any(Number))
    const row = await app.tasks.AsyncTask.findByPk(task.id)
    expect(row).not.toBeNull()
    expect(row!.objectType).toBe('Order')
    expect(row!.objectId).toBe(String(order.id))
    expect(row!.action).toBe('sendConfirmationEmail')
    expect(row!.args).toEqual([])
    expect(row!.queue).toBe('default')
    expect(row!.priority).toBe(10)
    expect(row!.status).toBe('pending')
    expect(row!.success).toBeNull()
    expect(row!.attempts).toBe(0)
    expect(row!.startedAt).toBeNull()
    expect(Math.abs(row!.scheduledAt.getTime() - Date.now())).toBeLessThan(10_000)
  })

  it('resolves to an instance equal to the stored row, field by field', async () => {
    const order = await app.Order.create({ total: 5 })
    const task = await order.async('chargeCreditCard', {
      args: [1, 2],
      priority: 3,
      queue: 'billing',
      timeout: 5000,
    })
    const row = await app.tasks.AsyncTask.findByPk(task.id)
    const plain = (t: typeof task) =>
      Object.fromEntries(
        Object.entries(t.get({ plain: true }) as Record<string, unknown>).map(([k, v]) => [
          k,
          v instanceof Date ? v.getTime() : v,
        ]),
      )
    expect(plain(task)).toEqual(plain(row!))
    expect(task.changed()).toBe(false)
  })

  it('stores args, priority, queue and scheduledAt as given', async () => {
    const order = await app.Order.create({ total: 5 })
    const at = new Date(Date.now() + 3_600_000)
    const task = await order.async('chargeCreditCard', {
      args: [29, 90],
      priority: 12,
      queue: 'billing',
      scheduledAt: at,
    })
    const row = (await app.tasks.AsyncTask.findByPk(task.id))!
    expect(row.args).toEqual([29, 90])
    expect(row.priority).toBe(12)
    expect(row.queue).toBe('billing')
    expect(row.scheduledAt.getTime()).toBe(at.getTime())
  })

  it('schedule() takes the time first and defaults to priority 20', async () => {
    const order = await app.Order.create({ total: 5 })
    const at = new Date(Date.now() + 2 * 86_400_000)
    const task = await order.schedule(at, 'sendConfirmationEmail')
    expect(task.priority).toBe(20)
    expect(task.scheduledAt.getTime()).toBe(at.getTime())
    const explicit = await order.schedule(at, 'sendConfirmationEmail', { priority: 3 })
    expect(explicit.priority).toBe(3)
  })

  it('enqueues static model methods and registered classes', async () => {
    const s = await app.Order.async('recalculateTotals', { args: [2] })
    expect([s.objectType, s.objectId, s.action]).toEqual(['Order', null, 'recalculateTotals'])
    const n = await app.tasks.classes.Newsletter.async('deliverAll', { args: ['hello'] })
    expect([n.objectType, n.objectId]).toEqual(['Newsletter', null])
    expect(Newsletter).toBe(app.tasks.classes.Newsletter)
    const r = await app.tasks.classes.Reports.async('build', { args: ['daily'] })
    expect(r.objectType).toBe('Reports')
  })

  it('works for models defined after installAsync()', async () => {
    const { DataTypes, Model } = await import('sequelize')
    class Late extends Model {
      ping(): string {
        return 'pong'
      }
    }
    Late.init({ name: DataTypes.STRING }, { sequelize, modelName: 'Late' })
    await Late.sync()
    const late = await Late.create({ name: 'x' })
    const task = await late.async('ping')
    expect(task.objectType).toBe('Late')
  })

  it('refuses unknown methods, inherited ones and hostile names, writing nothing', async () => {
    const order = await app.Order.create({ total: 1 })
    const before = await app.tasks.AsyncTask.count()
    for (const name of [
      'nope',
      'constructor',
      '__proto__',
      'toString',
      'save',
      'destroy',
      'async',
      'total',
      'hasOwnProperty',
    ]) {
      // @ts-expect-error -- not a method of Order
      await expect(order.async(name), name).rejects.toThrow(EnqueueError)
    }
    // @ts-expect-error -- a static of Model, not of Order
    await expect(app.Order.async('findAll')).rejects.toThrow(
      /^Order#"findAll" cannot run as a task: findAll is inherited from .*Model.*, not a method the app wrote/,
    )
    // @ts-expect-error -- not a method of Newsletter
    await expect(app.tasks.classes.Newsletter.async('valueOf')).rejects.toThrow(EnqueueError)
    expect(await app.tasks.AsyncTask.count()).toBe(before)
  })

  it('refuses unregistered classes and unsaved records with advice', async () => {
    class Stranger {
      static run(): void {}
    }
    await expect(app.tasks.enqueue(Stranger, 'run')).rejects.toThrow(/not registered.*register/i)
    const unsaved = app.Order.build({ total: 1 })
    await expect(unsaved.async('sendConfirmationEmail')).rejects.toThrow(
      /unsaved Order; save\(\) it first/,
    )
    const order = await app.Order.create({ total: 1 })
    await expect(
      order.async('describeItem', { args: [app.LineItem.build({ name: 'x' })] }),
    ).rejects.toThrow(/unsaved LineItem/)
  })

  it('refuses arguments that cannot round-trip', async () => {
    const order = await app.Order.create({ total: 1 })
    const circular: Record<string, unknown> = {}
    circular.self = circular
    class Point {
      x = 1
    }
    const bad: Array<[unknown, RegExp]> = [
      [() => 1, /args\[0\] is a function/],
      [Symbol('s'), /is a symbol/],
      [circular, /circular/],
      [new Point(), /instance of Point/],
      [{ nested: [new Point()] }, /args\[0\]\.nested\[0\] is an instance of Point/],
      [new Date('nope'), /invalid Date/],
    ]
    for (const [value, message] of bad) {
      await expect(order.async('echo', { args: [value] })).rejects.toThrow(SerializationError)
      await expect(order.async('echo', { args: [value] })).rejects.toThrow(message)
    }
  })

  it('refuses bad options with the option named', async () => {
    const order = await app.Order.create({ total: 1 })
    const cases: Array<[object, RegExp]> = [
      [{ priority: 1.5 }, /priority must be an integer/],
      [{ priority: '3' }, /priority must be an integer/],
      [{ scheduledAt: '2026-01-01' }, /scheduledAt must be a valid Date/],
      [{ scheduledAt: new Date('x') }, /scheduledAt must be a valid Date/],
      [{ queue: '' }, /queue must be a name/],
      [{ queue: 'a b' }, /queue must be a name/],
      [{ args: 'x' }, /args must be an array/],
      [{ maxAttempts: 0 }, /maxAttempts must be an integer/],
      [{ timeout: -1 }, /timeout must be an integer/],
      [{ priorty: 3 }, /Unknown option "priorty"/],
    ]
    for (const [options, message] of cases) {
      await expect(order.async('sendConfirmationEmail', options)).rejects.toThrow(message)
    }
    // @ts-expect-error -- schedule() takes the date first
    await expect(order.schedule('sendConfirmationEmail', new Date())).rejects.toThrow(
      /takes the time first/,
    )
  })

  it('refuses oversized arguments', async () => {
    const order = await app.Order.create({ total: 1 })
    await expect(order.async('echo', { args: ['x'.repeat(1024 * 1024 + 1)] })).rejects.toThrow(
      /maxPayloadBytes/,
    )
  })

  it('a task enqueued in a transaction exists only if it commits', async () => {
    const order = await app.Order.create({ total: 1 })
    const committed = await sequelize.transaction(async (transaction) =>
      order.async('sendConfirmationEmail', { transaction }),
    )
    expect(await app.tasks.AsyncTask.findByPk(committed.id)).not.toBeNull()
    let rolledBackId = 0
    await expect(
      sequelize.transaction(async (transaction) => {
        rolledBackId = (await order.async('sendConfirmationEmail', { transaction })).id
        throw new Error('rollback')
      }),
    ).rejects.toThrow('rollback')
    expect(rolledBackId).toBeGreaterThan(0)
    expect(await app.tasks.AsyncTask.findByPk(rolledBackId)).toBeNull()
  })

  it('survives a host sync({ alter: true }) and migrate() again with its indexes intact', async () => {
    const qi = sequelize.getQueryInterface()
    const names = async () =>
      ((await qi.showIndex('async_tasks')) as Array<{ name: string }>)
        .map((i) => i.name)
        .filter((n) => n.startsWith('async_tasks_'))
        .sort()
    const before = await names()
    expect(before).toEqual(
      expect.arrayContaining([
        'async_tasks_claim_any',
        'async_tasks_claim_queue',
        'async_tasks_due',
        'async_tasks_lease',
      ]),
    )
    await sequelize.sync({ alter: true })
    await sequelize.sync()
    expect(await app.tasks.migrate()).toEqual([])
    expect(await names()).toEqual(before)
    const order = await app.Order.create({ total: 1 })
    expect((await order.async('sendConfirmationEmail')).id).toBeGreaterThan(0)
  })
})
