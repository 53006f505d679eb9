/**
 * Contract: what a worker does with tasks on every dialect — outcomes,
 * order, scheduling, round-trips, records, hostile rows, queues, lifecycle.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { RecordRef } from '../src/index.js'
import { dialects, type TestDb } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { calls, defineApp } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(dialects)('worker on %s', (dialect) => {
  const t = useTestApp(dialect, 'worker', { clean: true })
  let db: TestDb, app: App
  beforeAll(() => ({ db, app } = t))

  it('runs a method on a freshly loaded record and stores the result', async () => {
    const order = await app.Order.create({ total: 5 })
    const task = await order.async('chargeCreditCard', { args: [29, 90] })
    const counts = await app.tasks.createWorker().workOff()
    expect(counts).toEqual({ succeeded: 1, failed: 0, retried: 0 })
    await task.reload()
    expect(task.status).toBe('succeeded')
    expect(task.success).toBe(true)
    expect(task.result).toEqual({ charged: 2990 })
    expect(task.attempts).toBe(1)
    expect(task.startedAt).toBeInstanceOf(Date)
    expect(task.finishedAt!.getTime()).toBeGreaterThanOrEqual(task.startedAt!.getTime() - 1000)
    expect(task.lockedBy).toBeNull()
    expect(calls).toEqual([`charge:${order.id}:29.90`])
    expect(app.logger.lines.at(-1)).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d SUCCESS ${task.id}: Order\\(${order.id}\\)#chargeCreditCard \\(\\d+ ms\\)$`,
      ),
    )
  })

  it('runs static methods and registered classes', async () => {
    const a = await app.Order.async('recalculateTotals', { args: [21] })
    const b = await app.tasks.classes.Newsletter.async('deliverAll', { args: ['weekly'] })
    await app.tasks.createWorker({ concurrency: 2 }).workOff()
    await Promise.all([a.reload(), b.reload()])
    expect(a.result).toBe(42)
    expect(b.result).toBe('delivered weekly')
  })

  it('picks by priority descending, then scheduled time, then id', async () => {
    const order = await app.Order.create({ total: 1 })
    const past = (s: number) => new Date(Date.now() - s * 1000)
    const plan: Array<[string, number, Date]> = [
      ['a', 10, past(10)],
      ['b', 12, past(5)],
      ['c', 10, past(20)],
      ['d', 20, past(1)],
      ['e', 10, past(10)],
      ['f', -5, past(100)],
    ]
    for (const [label, priority, scheduledAt] of plan) {
      await order.async('echo', { args: [label], priority, scheduledAt })
    }
    await app.tasks.createWorker({ concurrency: 1 }).workOff()
    const done = await app.tasks.AsyncTask.findAll({
      order: [
        ['startedAt', 'ASC'],
        ['finishedAt', 'ASC'],
      ],
    })
    // Equal started times are possible at ms resolution; check the log order instead.
    const ran = app.logger.lines
      .filter((l) => l.includes('SUCCESS'))
      .slice(-6)
      .map((l) => Number(/SUCCESS (\d+):/.exec(l)![1]))
    const byId = new Map(done.map((t) => [t.id, t.args[0]]))
    expect(ran.map((id) => byId.get(id))).toEqual(['d', 'b', 'c', 'a', 'e', 'f'])
  })

  it('leaves future tasks alone until they are due', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.schedule(new Date(Date.now() + 1500), 'sendConfirmationEmail')
    const worker = app.tasks.createWorker()
    expect((await worker.workOff()).succeeded).toBe(0)
    await sleep(1600)
    expect((await worker.workOff()).succeeded).toBe(1)
    await task.reload()
    expect(task.status).toBe('succeeded')
  })

  it('round-trips arguments and results of every tagged type', async () => {
    const order = await app.Order.create({ total: 1 })
    const value = {
      date: new Date('2026-11-27T20:11:05.123Z'),
      big: 12345678901234567890n,
      buf: Buffer.from([0, 1, 254, 255]),
      map: new Map<unknown, unknown>([
        ['k', 1],
        [2, [3]],
      ]),
      set: new Set(['x', 7]),
      undef: undefined,
      nums: [NaN, Infinity, -Infinity, -0, 1.5],
      tagLike: { $t: 'Date', v: 'not a date' },
      nested: { deep: [{ null: null, bool: false, text: 'ünïcødé ✓' }] },
      err: new TypeError('kept'),
    }
    const task = await order.async('echo', { args: [value] })
    expect(task.args[0]).toMatchObject({
      big: value.big,
      map: value.map,
      set: value.set,
      tagLike: value.tagLike,
    })
    await app.tasks.createWorker().workOff()
    await task.reload()
    const result = task.result as typeof value
    expect(result.date).toEqual(value.date)
    expect(result.big).toBe(value.big)
    expect(Buffer.isBuffer(result.buf) && result.buf.equals(value.buf)).toBe(true)
    expect(result.map).toEqual(value.map)
    expect(result.set).toEqual(value.set)
    expect('undef' in result && result.undef === undefined).toBe(true)
    expect(Object.is(result.nums[3], -0)).toBe(true)
    expect(result.nums.slice(0, 3)).toEqual([NaN, Infinity, -Infinity])
    expect(result.tagLike).toEqual(value.tagLike)
    expect(result.nested).toEqual(value.nested)
    expect(result.err).toBeInstanceOf(TypeError)
    expect(result.err.message).toBe('kept')
  })

  it('re-loads record arguments when the task runs', async () => {
    const order = await app.Order.create({ total: 1 })
    const item = await app.LineItem.create({ name: 'old name' })
    const task = await order.async('describeItem', { args: [item] })
    expect(task.args[0]).toEqual(new RecordRef('LineItem', item.id))
    await item.update({ name: 'new name' })
    await app.tasks.createWorker().workOff()
    await task.reload()
    expect(task.result).toBe(`${order.id}:new name`)
  })

  it('fails with RecordNotFoundError when the record or an argument record was deleted', async () => {
    const order = await app.Order.create({ total: 1 })
    const gone = await order.async('sendConfirmationEmail')
    const other = await app.Order.create({ total: 2 })
    const item = await app.LineItem.create({ name: 'x' })
    const argGone = await other.async('describeItem', { args: [item] })
    // Deleted behind the app's back (no hooks: as raw SQL or another app
    // would), so onDestroy does not cancel the record's task first.
    await order.destroy({ hooks: false })
    await item.destroy()
    expect((await app.tasks.createWorker().workOff()).failed).toBe(2)
    for (const task of [gone, argGone]) {
      await task.reload()
      expect(task.status).toBe('failed')
      expect(task.success).toBe(false)
      expect((task.result as Error).name).toBe('RecordNotFoundError')
      expect(task.error).toMatch(
        /RecordNotFoundError: (Order|LineItem) with id \d+ no longer exists/,
      )
    }
  })

  it('stores a thrown error rebuilt with class, message and stack, and goes on', async () => {
    const order = await app.Order.create({ total: 1 })
    const bad = await order.async('fail', { args: ['out of range'] })
    const good = await order.async('sendConfirmationEmail', { priority: 1 })
    const counts = await app.tasks.createWorker().workOff()
    expect(counts).toMatchObject({ succeeded: 1, failed: 1 })
    await Promise.all([bad.reload(), good.reload()])
    expect(bad.status).toBe('failed')
    expect(bad.success).toBe(false)
    expect(bad.attempts).toBe(1)
    const err = bad.result as Error
    expect(err).toBeInstanceOf(RangeError)
    expect(err.name).toBe('RangeError')
    expect(err.message).toBe('out of range')
    expect(err.stack).toMatch(/at (Order|O)\.fail/)
    expect(bad.error).toBe('RangeError: out of range')
    expect(bad.attemptErrors).toHaveLength(1)
    expect(good.status).toBe('succeeded')
    expect(
      app.logger.lines.some((l) =>
        / FAILURE \d+: Order\(\d+\)#fail \(\d+ ms\) RangeError: out of range$/.test(l),
      ),
    ).toBe(true)
  })

  it('fails hostile or corrupt rows cleanly, runs nothing they name, and goes on', async () => {
    const order = await app.Order.create({ total: 1 })
    const base = { argsJson: '[]', scheduledAt: new Date(Date.now() - 1000), ready: 1 }
    const hostile = [
      { objectType: 'process', objectId: null, action: 'exit' },
      { objectType: 'Order', objectId: null, action: 'constructor' },
      { objectType: 'Order', objectId: String(order.id), action: '__proto__' },
      { objectType: 'Order', objectId: String(order.id), action: 'toString' },
      { objectType: 'Order', objectId: String(order.id), action: 'destroy' },
      { objectType: 'Order', objectId: null, action: 'drop' },
      { objectType: 'Object', objectId: null, action: 'assign' },
      { objectType: 'Newsletter', objectId: '1', action: 'deliverAll' },
      { objectType: 'globalThis', objectId: null, action: 'eval' },
      { objectType: 'Order', objectId: String(order.id), action: 'echo', argsJson: '{not json' },
      {
        objectType: 'Order',
        objectId: String(order.id),
        action: 'echo',
        argsJson: '[{"$t":"Function","v":"x"}]',
      },
      { objectType: 'Order', objectId: String(order.id), action: 'echo', argsJson: '{"a":1}' },
      {
        objectType: 'Order',
        objectId: String(order.id),
        action: 'echo',
        argsJson: '[{"$t":"Record","v":{"model":"SequelizeMeta","id":1}}]',
      },
      // Escape sequences meant for the terminal that shows the worker's log.
      { objectType: 'Order\u001b[2J', objectId: '1\u009b31m', action: 'x\u001b]0;pwned\u0007' },
    ]
    const rows = await app.tasks.AsyncTask.bulkCreate(hostile.map((h) => ({ ...base, ...h })))
    const good = await order.async('sendConfirmationEmail', { priority: -100 })
    const counts = await app.tasks.createWorker({ concurrency: 3 }).workOff()
    expect(counts).toEqual({ succeeded: 1, failed: hostile.length, retried: 0 })
    for (const row of rows) {
      await row.reload()
      expect(row.status, `${row.objectType}#${row.action}`).toBe('failed')
      expect(row.error).toMatch(/^(UnknownTargetError|SerializationError): /)
    }
    expect(await app.Order.findByPk(order.id)).not.toBeNull()
    await good.reload()
    expect(good.status).toBe('succeeded')
    // eslint-disable-next-line no-control-regex -- what must not reach the log
    expect(app.logger.lines.filter((l) => /[\u0000-\u001f\u007f-\u009f]/.test(l))).toEqual([])
    expect(
      app.logger.lines.some((l) => l.includes('Order\\x1b[2J(1\\x9b31m)#x\\x1b]0;pwned\\x07')),
    ).toBe(true)
  })

  it('takes only its queues, in order of precedence, or every queue with *', async () => {
    const order = await app.Order.create({ total: 1 })
    const mail = await order.async('echo', { args: ['mail'], queue: 'mail' })
    const other = await order.async('echo', { args: ['other'], queue: 'other' })
    const def = await order.async('echo', { args: ['default'] })
    expect((await app.tasks.createWorker({ queues: ['mail'] }).workOff()).succeeded).toBe(1)
    await mail.reload()
    expect(mail.status).toBe('succeeded')
    expect((await app.tasks.createWorker({ queues: ['*'] }).workOff()).succeeded).toBe(2)
    await Promise.all([other.reload(), def.reload()])
    expect([other.status, def.status]).toEqual(['succeeded', 'succeeded'])
  })

  it('a started worker runs what is enqueued in its process without waiting for a poll', async () => {
    const worker = app.tasks.createWorker({ pollInterval: 60_000 })
    await worker.start()
    try {
      await sleep(100)
      const order = await app.Order.create({ total: 1 })
      const task = await order.async('sendConfirmationEmail')
      await waitFor(
        async () => (await task.reload()).status === 'succeeded',
        5000,
        'task succeeded',
        20,
      )
      expect(task.status).toBe('succeeded')
    } finally {
      await worker.stop()
    }
  })

  it('stop() lets running tasks finish first', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [300] })
    const worker = app.tasks.createWorker({ pollInterval: 50 })
    await worker.start()
    await waitFor(async () => (await task.reload()).status === 'running', 5000, 'task running', 10)
    await worker.stop()
    await worker.stop() // idempotent
    await task.reload()
    expect(task.status).toBe('succeeded')
    expect(task.result).toBe('done')
  })

  it('stop() releases tasks still running after shutdownTimeout, without failing them', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [5000] })
    const worker = app.tasks.createWorker({ pollInterval: 50, shutdownTimeout: 200 })
    await worker.start()
    await waitFor(async () => (await task.reload()).status === 'running', 5000, 'task running', 10)
    await worker.stop()
    await task.reload()
    expect(task.status).toBe('pending')
    expect(task.lockedBy).toBeNull()
    expect(task.attempts).toBe(0)
    expect(task.success).toBeNull()
    await task.update({ argsJson: '[10]' }) // claimable again; no need to wait 5 s for the proof
    expect((await app.tasks.createWorker().workOff()).succeeded).toBe(1)
  })

  it('emits an event per task outcome, for metrics', async () => {
    const order = await app.Order.create({ total: 1 })
    await order.async('sendConfirmationEmail')
    await order.async('fail', { args: ['no'] })
    const worker = app.tasks.createWorker({ concurrency: 1 })
    const seen: string[] = []
    worker.on('task:start', (task) => seen.push(`start ${task.action}`))
    worker.on('task:success', (task, result, ms) =>
      seen.push(`success ${task.action} ${typeof result} ${typeof ms}`),
    )
    worker.on('task:failure', (task, error) =>
      seen.push(`failure ${task.action} ${(error as Error).message}`),
    )
    await worker.workOff()
    expect(seen).toEqual([
      'start sendConfirmationEmail',
      'success sendConfirmationEmail string number',
      'start fail',
      'failure fail no',
    ])
  })

  it('batchCompletions records many successes together, and a lost lease still discards', async () => {
    const order = await app.Order.create({ total: 1 })
    const many = []
    for (let i = 0; i < 30; i++) many.push(await order.async('echo', { args: [i] }))
    const worker = app.tasks.createWorker({ concurrency: 10, batchCompletions: true })
    expect(await worker.workOff()).toEqual({ succeeded: 30, failed: 0, retried: 0 })
    for (const task of many) {
      await task.reload()
      expect([task.status, task.success, task.attempts, task.lockedBy]).toEqual([
        'succeeded',
        true,
        1,
        null,
      ])
      expect(task.result).toBe(task.args[0])
      expect(task.finishedAt).toBeInstanceOf(Date)
    }
    const slow = await order.async('slow', { args: [300] })
    const batched = app.tasks.createWorker({ pollInterval: 50, batchCompletions: true })
    await batched.start()
    await waitFor(async () => (await slow.reload()).status === 'running', 5000, 'slow running', 10)
    await slow.update({ lockedBy: 'someone-else' })
    await sleep(500)
    await batched.stop()
    await slow.reload()
    expect([slow.status, slow.success]).toEqual(['running', null])
    expect(batched.stats.lost).toBe(1)
  })

  it('prefetch claims ahead, runs each task once, and hands unstarted tasks back at stop', async () => {
    const order = await app.Order.create({ total: 1 })
    const tasks = []
    for (let i = 0; i < 6; i++) tasks.push(await order.async('slow', { args: [150] }))
    const worker = app.tasks.createWorker({ concurrency: 1, prefetch: 3, pollInterval: 50 })
    await worker.start()
    const held = () =>
      app.tasks.AsyncTask.count({ where: { status: 'running', lockedBy: worker.id } })
    // One running, three claimed ahead under the same lease. (The count can
    // see the claim's commit before the worker has started the first task.)
    const holding = async () => worker.stats.running === 1 && (await held()) === 4
    await waitFor(holding, 5000, 'one task running and three held', 10)
    await worker.stop()
    const rows = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
    expect(rows.filter((t) => t.status === 'running')).toEqual([])
    // What never started went back as it was: pending, unlocked, no attempt counted.
    const handedBack = rows.filter((r) => r.status === 'pending')
    expect(handedBack.length).toBeGreaterThanOrEqual(3)
    for (const t of handedBack) {
      expect([t.lockedBy, t.attempts, t.interruptions]).toEqual([null, 0, 0])
    }
    expect(app.logger.lines.some((l) => / RELEASE .*claimed ahead and not started/.test(l))).toBe(
      true,
    )
    // The rest, one slot and three ahead: each runs once, and its started_at
    // is when it really started (150 ms before it finished), not when it was
    // claimed together with the others (up to 450 ms earlier).
    const again = app.tasks.createWorker({ concurrency: 1, prefetch: 3, pollInterval: 50 })
    await again.start()
    const done = async () =>
      (await app.tasks.AsyncTask.count({ where: { status: 'succeeded' } })) === tasks.length
    await waitFor(done, 10_000, 'every task to succeed', 20)
    await again.stop()
    for (const t of tasks) {
      await t.reload()
      expect([t.status, t.attempts]).toEqual(['succeeded', 1])
      expect(t.finishedAt!.getTime() - t.startedAt!.getTime()).toBeLessThan(400)
    }
  })

  it('an idle worker probes for work enqueued elsewhere, long before its next poll', async () => {
    const other = db.connect()
    const elsewhere = defineApp(other) // another process, as far as wake-ups go
    const worker = app.tasks.createWorker({
      pollInterval: 60_000,
      probeInterval: 25,
      listen: false,
    })
    await worker.start()
    try {
      await sleep(150) // past the first (empty) claim: now only the probe can notice
      const order = await elsewhere.Order.create({ total: 1 })
      const task = await order.async('sendConfirmationEmail')
      await waitFor(
        async () => (await task.reload()).status === 'succeeded',
        5000,
        'task succeeded',
        20,
      )
      expect(task.status).toBe('succeeded')
    } finally {
      await worker.stop()
      await other.close()
    }
  })

  it('refuses prefetch and probeInterval that are not whole numbers of 0 or more', () => {
    expect(() => app.tasks.createWorker({ prefetch: -1 })).toThrow(/prefetch must be an integer/)
    expect(() => app.tasks.createWorker({ probeInterval: 1.5 })).toThrow(
      /probeInterval must be an integer/,
    )
  })
})
