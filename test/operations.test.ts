/**
 * Contract: paused queues, recurring tasks (fake clock, several schedulers
 * racing on separate connections) and retention, on every dialect.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { installAsync } from '../src/index.js'
import { dialects, type TestDb } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { defineApp, quietLogger } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'

const recurring = [
  {
    key: 'nightly-totals',
    cron: '0 3 * * *',
    target: 'Order',
    action: 'recalculateTotals',
    args: [7],
    timezone: 'Europe/Berlin',
  },
  {
    key: 'weekly-newsletter',
    cron: '30 9 * * 1',
    target: 'Newsletter',
    action: 'deliverAll',
    args: ['weekly'],
    queue: 'mail',
    priority: 5,
  },
]

describe.each(dialects)('operations on %s', (dialect) => {
  const t = useTestApp(dialect, 'operations', { install: { recurring }, clean: true })
  let db: TestDb, app: App
  beforeAll(() => ({ db, app } = t))

  it('a paused queue is not claimed until resumed, by named or * workers', async () => {
    const order = await app.Order.create({ total: 1 })
    const mail = await order.async('sendConfirmationEmail', { queue: 'mail' })
    const other = await order.async('sendConfirmationEmail')
    await app.tasks.pauseQueue('mail')
    await app.tasks.pauseQueue('mail') // idempotent
    expect(await app.tasks.pausedQueues()).toEqual(['mail'])
    expect((await app.tasks.createWorker({ queues: ['mail'] }).workOff()).succeeded).toBe(0)
    expect((await app.tasks.createWorker({ queues: ['*'] }).workOff()).succeeded).toBe(1)
    await Promise.all([mail.reload(), other.reload()])
    expect([mail.status, other.status]).toEqual(['pending', 'succeeded'])
    await app.tasks.resumeQueue('mail')
    expect(await app.tasks.pausedQueues()).toEqual([])
    expect((await app.tasks.createWorker({ queues: ['*'] }).workOff()).succeeded).toBe(1)
    await expect(app.tasks.pauseQueue('bad name')).rejects.toThrow(/queue name/)
  })

  it('lists recurring schedules with their next runs in their time zone', () => {
    const [nightly] = app.tasks.schedules(2)
    expect(nightly!.key).toBe('nightly-totals')
    expect(nightly!.nextRuns).toHaveLength(2)
    for (const run of nightly!.nextRuns) {
      const berlin = new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Berlin',
        hour: '2-digit',
        minute: '2-digit',
      }).format(run)
      expect(berlin).toBe('03:00')
    }
  })

  it('several schedulers racing enqueue each slot exactly once, and skip stale slots', async () => {
    // Four "hosts": separate connections and installations on the same database.
    const racers = Array.from({ length: 4 }, () => {
      const s = db.connect()
      return { s, a: defineApp(s, { recurring }) }
    })
    try {
      // Monday 2026-11-23 09:30:00 UTC is a weekly slot; 02:00 UTC is 03:00 in Berlin.
      const clock = [
        new Date('2026-11-23T02:00:00.500Z'),
        new Date('2026-11-23T02:00:01.000Z'),
        new Date('2026-11-23T09:30:00.000Z'),
        new Date('2026-11-23T09:31:00.000Z'),
      ]
      for (const now of clock) {
        await Promise.all(racers.map((r) => r.a.tasks.enqueueRecurring(now)))
      }
      const rows = await app.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
      expect(
        rows.map((r) => [r.objectType, r.action, r.scheduledAt.toISOString(), r.queue, r.priority]),
      ).toEqual([
        ['Order', 'recalculateTotals', '2026-11-23T02:00:00.000Z', 'default', 10],
        ['Newsletter', 'deliverAll', '2026-11-23T09:30:00.000Z', 'mail', 5],
      ])
      // A fresh scheduler (restarted host) does not enqueue those slots again…
      const restarted = db.connect()
      racers.push({ s: restarted, a: defineApp(restarted, { recurring }) })
      const fresh = racers.at(-1)!.a.tasks
      expect(await fresh.enqueueRecurring(new Date('2026-11-23T09:35:00.000Z'))).toBe(0)
      // …and after a long outage only a recent slot is caught up: Nov 24 03:00 Berlin seen 5 min late runs,
      // Nov 25 03:00 seen 2 hours late (past catchUp, 10 min) is skipped.
      expect(await fresh.enqueueRecurring(new Date('2026-11-24T02:05:00.000Z'))).toBe(1)
      expect(await fresh.enqueueRecurring(new Date('2026-11-25T04:00:00.000Z'))).toBe(0)
      expect(await app.tasks.AsyncTask.count()).toBe(3)
      // (The worker's own upkeep runs the schedules on the real clock too.)
      expect(
        (await app.tasks.createWorker({ queues: ['*'] }).workOff()).succeeded,
      ).toBeGreaterThanOrEqual(3)
    } finally {
      for (const r of racers) await r.s.close()
    }
  })

  it('refuses bad recurring declarations at install time', () => {
    const s = db.connect()
    const bad: Array<[object, RegExp]> = [
      [
        { key: 'x', cron: 'every day', target: 'Order', action: 'recalculateTotals' },
        /cron "every day" is invalid/,
      ],
      [
        { key: 'x', cron: '* * * * *', target: 'Nope', action: 'run' },
        /target "Nope" is neither a model nor a registered class/,
      ],
      [
        { key: 'has space', cron: '* * * * *', target: 'Order', action: 'recalculateTotals' },
        /needs a key/,
      ],
    ]
    for (const [entry, message] of bad) {
      expect(() => installAsync(s, { recurring: [entry as never], logger: quietLogger() })).toThrow(
        message,
      )
    }
    void s.close()
  })

  it('prune() deletes finished tasks past retention per outcome, in batches, and nothing else', async () => {
    const order = await app.Order.create({ total: 1 })
    const day = 86_400_000
    const make = async (status: string, ageDays: number) => {
      const t = await order.async('sendConfirmationEmail')
      await t.update({
        status: status as never,
        ready: null,
        finishedAt: status === 'pending' ? null : new Date(Date.now() - ageDays * day),
      })
      return t
    }
    const keep = [
      await make('succeeded', 6),
      await make('failed', 29),
      await make('pending', 0),
      await make('running', 0),
    ]
    const drop = [await make('succeeded', 8), await make('failed', 31), await make('cancelled', 31)]
    for (let i = 0; i < 5; i++) drop.push(await make('succeeded', 10))
    expect(await app.tasks.prune()).toBe(drop.length)
    const left = (await app.tasks.AsyncTask.findAll()).map((t) => t.id).sort((a, b) => a - b)
    expect(left).toEqual(keep.map((t) => t.id).sort((a, b) => a - b))
    expect(await app.tasks.prune({ succeeded: 0 })).toBe(1)
  })

  it('lists live workers with host, pid, uid, queues and what they run', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [400] })
    const worker = app.tasks.createWorker({
      uid: 2,
      queues: ['default', 'mail'],
      concurrency: 3,
      pollInterval: 50,
      leaseMs: 300,
    })
    await worker.start()
    try {
      let seen = await app.tasks.workers()
      const running = async () => Boolean((seen = await app.tasks.workers())[0]?.running.length)
      await waitFor(running, 5000, 'the worker to show its task', 50)
      expect(seen).toHaveLength(1)
      expect(seen[0]).toMatchObject({
        id: worker.id,
        pid: process.pid,
        uid: '2',
        queues: ['default', 'mail'],
        concurrency: 3,
        running: [task.id],
      })
      expect(Date.now() - seen[0]!.lastSeenAt.getTime()).toBeLessThan(5000)
    } finally {
      await worker.stop()
    }
    expect(await app.tasks.workers()).toEqual([])
  })

  it('a worker announcing itself twice at once (start and first heartbeat) logs no error', async () => {
    const before = app.logger.lines.length
    for (let i = 0; i < 5; i++) {
      const worker = app.tasks.createWorker({ leaseMs: 30, pollInterval: 50 })
      await worker.start()
      await new Promise((r) => setTimeout(r, 30))
      await worker.stop()
    }
    expect(app.logger.lines.slice(before).filter((l) => / ERROR /.test(l))).toEqual([])
    expect(await app.tasks.workers()).toEqual([])
  })
})
