/**
 * Flow control in one process, on every dialect: unique tasks (one pending
 * task per key, released when it starts or finishes), per-key concurrency
 * (at most concurrencyLimit running, blocked tasks out of the way of the
 * rest). The multi-process proofs are in flow-processes.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { EnqueueError } from '../src/index.js'
import { SWEEP_KEYS } from '../src/lifecycle/keys.js'
import { spans } from './helpers/app.js'
import { dialects } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The most runs of one key that overlapped in time. */
function maxOverlap(key: string): number {
  const mine = spans.filter((s) => s.key === key)
  let most = 0
  for (const s of mine) {
    const at = mine.filter((o) => o.start <= s.start && o.end > s.start).length
    most = Math.max(most, at)
  }
  return most
}

describe.each(dialects)('flow control on %s', (dialect) => {
  const t = useTestApp(dialect, 'flow', { clean: true })
  let app: App
  beforeAll(() => ({ app } = t))

  it('creates one pending task per unique key and resolves a second enqueue to it', async () => {
    const order = await app.Order.create({ total: 1 })
    const a = await order.async('chargeCreditCard', { args: [1, 2], unique: true })
    const b = await order.async('chargeCreditCard', { args: [1, 2], unique: true })
    const other = await order.async('chargeCreditCard', { args: [1, 3], unique: true })
    expect(b.id).toBe(a.id)
    expect(other.id).not.toBe(a.id)
    expect(a.uniqueKey).toMatch(/^Order\(\d+\)#chargeCreditCard:[0-9a-f]{24}$/)
    const named = await order.async('sendConfirmationEmail', { unique: 'mail-1' })
    expect((await order.async('echo', { args: [1], unique: 'mail-1' })).id).toBe(named.id)
    expect(await app.tasks.AsyncTask.count()).toBe(3)
  })

  it('releases the key when the task starts, or with uniqueUntil finished when it ends', async () => {
    const order = await app.Order.create({ total: 1 })
    const started = await order.async('slow', { args: [300], unique: 'k-started' })
    const finished = await order.async('slow', {
      args: [300],
      unique: 'k-finished',
      uniqueUntil: 'finished',
    })
    const worker = app.tasks.createWorker({ concurrency: 2, pollInterval: 50 })
    await worker.start()
    try {
      for (const task of [started, finished]) {
        for (let i = 0; i < 200 && (await task.reload()).status !== 'running'; i++) await sleep(10)
      }
      const again = await order.async('slow', { args: [1], unique: 'k-started' })
      expect(again.id).not.toBe(started.id)
      const held = await order.async('slow', { args: [1], unique: 'k-finished' })
      expect(held.id).toBe(finished.id)
    } finally {
      await worker.stop()
    }
    await app.tasks.createWorker().workOff()
    const after = await order.async('slow', { args: [1], unique: 'k-finished' })
    expect(after.id).not.toBe(finished.id)
  })

  it('frees the key of a cancelled task, and of an enqueue whose transaction rolled back', async () => {
    const order = await app.Order.create({ total: 1 })
    const first = await order.async('echo', { args: [1], unique: 'cancel-me' })
    await first.cancel()
    const second = await order.async('echo', { args: [2], unique: 'cancel-me' })
    expect(second.id).not.toBe(first.id)
    const tx = await app.Order.sequelize!.transaction()
    await order.async('echo', { args: [3], unique: 'rolled-back', transaction: tx })
    await tx.rollback()
    const kept = await order.async('echo', { args: [4], unique: 'rolled-back' })
    expect(kept.args).toEqual([4])
  })

  it('refuses flow options that do not fit, with the option named', async () => {
    const order = await app.Order.create({ total: 1 })
    const bad: Array<[object, RegExp]> = [
      [{ unique: '' }, /Option unique must be true or a key/],
      [{ unique: 'x'.repeat(256) }, /Option unique must be true or a key of 1 to 255/],
      [{ unique: 'a\u001bb' }, /printable/],
      [{ uniqueUntil: 'finished' }, /uniqueUntil needs unique/],
      [{ unique: true, uniqueUntil: 'never' }, /uniqueUntil must be 'started' or 'finished'/],
      [{ concurrencyLimit: 2 }, /concurrencyLimit needs concurrencyKey/],
      [{ concurrencyKey: true, concurrencyLimit: 0 }, /concurrencyLimit must be an integer/],
      [{ concurrencyKey: 7 }, /Option concurrencyKey must be true or a key/],
    ]
    for (const [options, message] of bad) {
      const err = await order.async('echo', { args: [1], ...options }).catch((e: Error) => e)
      expect(err, JSON.stringify(options)).toBeInstanceOf(EnqueueError)
      expect((err as Error).message).toMatch(message)
    }
    expect(await app.tasks.AsyncTask.count()).toBe(0)
  })

  it('runs at most concurrencyLimit tasks of a key at once, and other keys beside them', async () => {
    spans.length = 0
    const a = await app.Order.create({ total: 1 })
    const b = await app.Order.create({ total: 2 })
    const tasks = []
    for (let i = 0; i < 4; i++) {
      tasks.push(await a.async('span', { args: [`A${a.id}`, 60], concurrencyKey: true }))
      tasks.push(
        await b.async('span', {
          args: [`B${b.id}`, 60],
          concurrencyKey: true,
          concurrencyLimit: 2,
        }),
      )
    }
    expect(tasks[0]!.concurrencyKey).toBe(`Order(${a.id})`)
    await app.tasks.createWorker({ concurrency: 8, pollInterval: 50 }).workOff()
    for (const task of tasks) expect((await task.reload()).status).toBe('succeeded')
    expect(maxOverlap(`A${a.id}`)).toBe(1)
    expect(maxOverlap(`B${b.id}`)).toBe(2)
    // The two keys ran side by side.
    const first = spans.find((s) => s.key.startsWith('A'))!
    expect(
      spans.some((s) => s.key.startsWith('B') && s.start < first.end && s.end > first.start),
    ).toBe(true)
  })

  it('keeps a key at its limit from holding back other due tasks, and no worker spins on it', async () => {
    spans.length = 0
    const hot = await app.Order.create({ total: 1 })
    const hotTasks = []
    for (let i = 0; i < 6; i++) {
      hotTasks.push(
        await hot.async('span', {
          args: ['hot', 80],
          concurrencyKey: 'hot',
          priority: 100,
        }),
      )
    }
    const plain = []
    for (let i = 0; i < 6; i++) plain.push(await hot.async('span', { args: ['plain', 10] }))
    const blocked = await app.tasks.AsyncTask.count({ where: { ready: 2 } })
    expect(blocked).toBe(5) // one admitted, five waiting out of the claim's way
    await app.tasks.createWorker({ concurrency: 4, pollInterval: 50 }).workOff()
    expect(maxOverlap('hot')).toBe(1)
    // The plain tasks did not wait for the hot key's queue of six.
    const lastPlain = Math.max(...spans.filter((s) => s.key === 'plain').map((s) => s.end))
    const lastHot = Math.max(...spans.filter((s) => s.key === 'hot').map((s) => s.end))
    expect(lastPlain).toBeLessThan(lastHot)
  })

  it('admits a blocked task when a holder of its key is cancelled, and after a retry', async () => {
    const order = await app.Order.create({ total: 1 })
    const first = await order.async('echo', { args: [1], concurrencyKey: 'k1' })
    const second = await order.async('echo', { args: [2], concurrencyKey: 'k1' })
    expect((await second.reload()).ready).toBe(2)
    await first.cancel()
    expect((await second.reload()).ready).toBe(1)
    await app.tasks.createWorker().workOff()
    const failing = await order.async('fail', { args: ['no'], concurrencyKey: 'k2' })
    await app.tasks.createWorker().workOff()
    expect((await failing.reload()).status).toBe('failed')
    await failing.retry()
    expect((await failing.reload()).ready).toBe(1)
  })

  it('hands the permit of an ended task to the next task of its key, and gives it back when none is left', async () => {
    const order = await app.Order.create({ total: 1 })
    const relay = []
    for (let i = 0; i < 4; i++)
      relay.push(await order.async('echo', { args: [i], concurrencyKey: 'relay' }))
    const holders = async (key: string): Promise<number> => {
      const [rows] = await t.sequelize.query(
        `SELECT holders FROM async_concurrency WHERE concurrency_key = '${key}'`,
      )
      return Number((rows[0] as { holders: unknown }).holders)
    }
    expect(await holders('relay')).toBe(1)
    await app.tasks.createWorker({ concurrency: 2, pollInterval: 50 }).workOff()
    const ran = await Promise.all(relay.map((task) => task.reload()))
    expect(ran.map((task) => task.status)).toEqual(Array(4).fill('succeeded'))
    // One at a time, in claim order: each started after the one before ended.
    for (let i = 1; i < ran.length; i++)
      expect(ran[i]!.startedAt!.getTime()).toBeGreaterThanOrEqual(ran[i - 1]!.finishedAt!.getTime())
    expect(await holders('relay')).toBe(0)

    // A task whose own limit the key's count exceeds does not take a handed
    // permit: it waits until the count fits its limit.
    const wide = [
      await order.async('slow', { args: [150], concurrencyKey: 'mixed', concurrencyLimit: 2 }),
      await order.async('slow', { args: [400], concurrencyKey: 'mixed', concurrencyLimit: 2 }),
    ]
    const narrow = await order.async('echo', {
      args: ['narrow'],
      concurrencyKey: 'mixed',
      concurrencyLimit: 1,
    })
    await app.tasks.createWorker({ concurrency: 3, pollInterval: 50 }).workOff()
    const [short, long] = await Promise.all(wide.map((task) => task.reload()))
    await narrow.reload()
    expect(narrow.status).toBe('succeeded')
    expect(narrow.startedAt!.getTime()).toBeGreaterThanOrEqual(long!.finishedAt!.getTime())
    expect(short!.finishedAt!.getTime()).toBeLessThan(long!.finishedAt!.getTime())
    expect(await holders('mixed')).toBe(0)
  })

  it('caps the running tasks of a queue over every worker, changed at run time', async () => {
    spans.length = 0
    await app.tasks.setQueueLimits('capped', { concurrency: 2 })
    const order = await app.Order.create({ total: 1 })
    for (let i = 0; i < 6; i++) await order.async('span', { args: ['capped', 60], queue: 'capped' })
    const others = await order.async('span', { args: ['free', 1], queue: 'free' })
    const workers = [1, 2].map(() =>
      app.tasks.createWorker({ concurrency: 6, queues: ['*'], pollInterval: 50 }),
    )
    await Promise.all(workers.map((w) => w.workOff()))
    expect(maxOverlap('capped')).toBe(2)
    expect((await others.reload()).status).toBe('succeeded')
    await app.tasks.setQueueLimits('capped', null)
    spans.length = 0
    for (let i = 0; i < 4; i++) await order.async('span', { args: ['capped', 60], queue: 'capped' })
    await app.tasks.createWorker({ concurrency: 4, queues: ['capped'] }).workOff()
    expect(maxOverlap('capped')).toBe(4)
  })

  it('starts no more than max tasks of a rate-limited queue per window', async () => {
    await app.tasks.setQueueLimits('rated', { rateLimit: { max: 3, per: 1000 } })
    const order = await app.Order.create({ total: 1 })
    const tasks = []
    for (let i = 0; i < 7; i++) tasks.push(await order.async('echo', { args: [i], queue: 'rated' }))
    const worker = app.tasks.createWorker({ concurrency: 5, queues: ['rated'], pollInterval: 50 })
    await worker.start()
    try {
      for (let i = 0; i < 400; i++) {
        const done = await app.tasks.AsyncTask.count({
          where: { queue: 'rated', status: 'succeeded' },
        })
        if (done === 7) break
        await sleep(25)
      }
    } finally {
      await worker.stop()
    }
    const perWindow = new Map<number, number>()
    for (const task of tasks) {
      await task.reload()
      expect(task.status).toBe('succeeded')
      const window = Math.floor(task.startedAt!.getTime() / 1000)
      perWindow.set(window, (perWindow.get(window) ?? 0) + 1)
    }
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(3)
    expect(perWindow.size).toBeGreaterThanOrEqual(3)
  })

  it('applies the configured limits when a worker starts, unless they were changed since', async () => {
    const { installAsync } = await import('../src/index.js')
    const other = t.db.connect()
    try {
      const configured = installAsync(other, { queues: { mail: { concurrency: 3 } } })
      await configured.createWorker({ queues: ['mail'] }).workOff()
      const limits = async () =>
        (
          (await other.query('SELECT concurrency FROM async_queues WHERE name = :q', {
            replacements: { q: 'mail' },
            type: 'SELECT',
          })) as Array<{ concurrency: number }>
        )[0]?.concurrency
      expect(Number(await limits())).toBe(3)
      await configured.setQueueLimits('mail', { concurrency: 7 })
      await configured.createWorker({ queues: ['mail'] }).workOff()
      expect(Number(await limits())).toBe(7) // the run-time change stays
    } finally {
      await other.close()
    }
  })

  it('admits blocked tasks written without an enqueue (no key row yet) at the next upkeep', async () => {
    const order = await app.Order.create({ total: 1 })
    const template = await order.async('echo', { args: [1] })
    const now = new Date(Date.now() - 1000)
    await app.tasks.AsyncTask.bulkCreate(
      [1, 2, 3].map((i) => ({
        objectType: 'Order',
        objectId: String(order.id),
        action: 'echo',
        argsJson: `[${i}]`,
        queue: 'default',
        priority: 10,
        scheduledAt: now,
        ready: 2,
        concurrencyKey: 'restored',
        concurrencyLimit: 1,
      })),
    )
    await template.cancel()
    const counts = await app.tasks.createWorker({ concurrency: 3 }).workOff()
    expect(counts.succeeded).toBe(3)
  })

  it('sweeps keys in turns of SWEEP_KEYS, each admitting the first blocked task of a key with room', async () => {
    const order = await app.Order.create({ total: 1 })
    const now = new Date(Date.now() - 1000)
    const keys = SWEEP_KEYS + 100
    const rows = []
    for (let k = 0; k < keys; k++) {
      for (let i = 0; i < 2; i++) {
        rows.push({
          objectType: 'Order',
          objectId: String(order.id),
          action: 'echo',
          argsJson: `[${i}]`,
          queue: 'sweep',
          priority: 10,
          scheduledAt: now,
          ready: 2,
          concurrencyKey: `sweep-${String(k).padStart(4, '0')}`,
          concurrencyLimit: 1,
        })
      }
    }
    await app.tasks.AsyncTask.bulkCreate(rows)
    const lifecycle = (
      app.tasks.AsyncTask as unknown as { lifecycle: { sweep(): Promise<number> } }
    ).lifecycle
    const due = () => app.tasks.AsyncTask.count({ where: { queue: 'sweep', ready: 1 } })
    // One key per turn at most SWEEP_KEYS; the next turn goes on after the last.
    expect(await lifecycle.sweep()).toBe(SWEEP_KEYS)
    expect(await lifecycle.sweep()).toBe(100)
    expect(await due()).toBe(keys)
    // Every key is full now: the next turns admit nothing, from the first key again.
    expect(await lifecycle.sweep()).toBe(0)
    expect(await lifecycle.sweep()).toBe(0)
    expect(await due()).toBe(keys)
    await app.tasks.AsyncTask.destroy({ where: { queue: 'sweep' } })
  })

  it.runIf(dialect === 'sqlite')(
    'keeps a stored outcome stored when handing on its permit fails after it (SQLite commits both)',
    async () => {
      const order = await app.Order.create({ total: 1 })
      const first = await order.async('echo', { args: ['first'], concurrencyKey: 'broken' })
      const second = await order.async('echo', { args: ['second'], concurrencyKey: 'broken' })
      // Any hand-off of a blocked task (ready 2 → 1) fails; the outcome's write does not.
      await t.sequelize.query(`CREATE TRIGGER refuse_hand_off BEFORE UPDATE OF ready ON async_tasks
        WHEN OLD.ready = 2 AND NEW.ready = 1 BEGIN SELECT RAISE(ABORT, 'hand-off refused'); END`)
      const lines = app.logger.lines.length
      const events: string[] = []
      const worker = app.tasks.createWorker({ concurrency: 1, pollInterval: 50 })
      worker.on('task:lost', () => events.push('lost'))
      worker.on('task:failure', () => events.push('failure'))
      try {
        const counts = await worker.workOff()
        expect(counts.succeeded).toBe(1)
      } finally {
        await t.sequelize.query('DROP TRIGGER refuse_hand_off')
      }
      await first.reload()
      expect(first.status).toBe('succeeded')
      expect(first.result).toBe('first')
      const logged = app.logger.lines.slice(lines)
      expect(
        logged.some((l) => /permits of 1 stored outcome\(s\) failed.*hand-off refused/.test(l)),
      ).toBe(true)
      expect(logged.filter((l) => /LOST|not stored|ended as failed/.test(l))).toEqual([])
      expect(events).toEqual([])
      // The recount gives the permit back, the sweep admits the next task.
      const lifecycle = (
        app.tasks.AsyncTask as unknown as { lifecycle: { recount(): Promise<number> } }
      ).lifecycle
      await lifecycle.recount()
      expect((await app.tasks.createWorker({ concurrency: 1 }).workOff()).succeeded).toBe(1)
      await second.reload()
      expect(second.status).toBe('succeeded')
    },
  )
})
