/**
 * Contract: retries, timeouts, leases and lost workers on every dialect.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { dialects } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { waitFor } from './helpers/wait.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each(dialects)('reliability on %s', (dialect) => {
  let failuresLeft = 0
  const t = useTestApp(dialect, 'reliability', {
    // Zero backoff: a retry is due at once, so workOff() runs it in the same call.
    install: { backoff: () => 0, maxInterruptions: 2 },
    setup: (app) =>
      Object.defineProperty(app.Order.prototype, 'flaky', {
        value: function flaky(this: { id: number }) {
          if (failuresLeft-- > 0) throw new Error(`flake ${failuresLeft}`)
          return 'finally'
        },
      }),
    clean: true,
  })
  let app: App
  beforeAll(() => ({ app } = t))

  it('retries up to maxAttempts, keeping every attempt error, success only at the end', async () => {
    failuresLeft = 2
    const order = await app.Order.create({ total: 1 })
    // @ts-expect-error -- flaky is added at run time above
    const task = await order.async('flaky', { maxAttempts: 3 })
    const counts = await app.tasks.createWorker().workOff()
    expect(counts).toEqual({ succeeded: 1, failed: 0, retried: 2 })
    await task.reload()
    expect(task.status).toBe('succeeded')
    expect(task.success).toBe(true)
    expect(task.attempts).toBe(3)
    expect(task.result).toBe('finally')
    expect(task.attemptErrors.map((e) => [e.attempt, e.message])).toEqual([
      [1, 'flake 1'],
      [2, 'flake 0'],
    ])
    expect(task.errors[0]!.stack).toMatch(/flaky/)
  })

  it('fails for good after the last attempt', async () => {
    failuresLeft = 5
    const order = await app.Order.create({ total: 1 })
    // @ts-expect-error -- flaky is added at run time above
    const task = await order.async('flaky', { maxAttempts: 2 })
    expect(await app.tasks.createWorker().workOff()).toEqual({
      succeeded: 0,
      failed: 1,
      retried: 1,
    })
    await task.reload()
    expect([task.status, task.success, task.attempts, task.attemptErrors.length]).toEqual([
      'failed',
      false,
      2,
      2,
    ])
  })

  it('fails a task that runs past its timeout with TimeoutError and frees the slot', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [10_000], timeout: 200 })
    const after = await order.async('sendConfirmationEmail', { priority: -1 })
    const started = Date.now()
    const counts = await app.tasks.createWorker({ concurrency: 1 }).workOff()
    expect(Date.now() - started).toBeLessThan(5000)
    expect(counts).toMatchObject({ succeeded: 1, failed: 1 })
    await Promise.all([task.reload(), after.reload()])
    expect(task.status).toBe('failed')
    expect((task.result as Error).name).toBe('TimeoutError')
    expect(task.error).toMatch(
      /TimeoutError: Order\(\d+\)#slow ran longer than its timeout of 200 ms/,
    )
    expect(after.status).toBe('succeeded')
  })

  it('a task whose worker died (lease ran out) runs again, not failed', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('sendConfirmationEmail')
    await task.update({
      status: 'running',
      ready: null,
      lockedBy: 'dead-host:1',
      lockedUntil: new Date(Date.now() - 60_000),
    })
    expect((await app.tasks.createWorker().workOff()).succeeded).toBe(1)
    await task.reload()
    expect([task.status, task.interruptions, task.attempts]).toEqual(['succeeded', 1, 1])
  })

  it('a task that lost its worker too often fails with WorkerLostError', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('sendConfirmationEmail')
    await task.update({
      status: 'running',
      ready: null,
      interruptions: 1,
      lockedBy: 'dead-host:2',
      lockedUntil: new Date(Date.now() - 60_000),
    })
    expect((await app.tasks.createWorker().workOff()).succeeded).toBe(0)
    await task.reload()
    expect([task.status, task.success, task.interruptions]).toEqual(['failed', false, 2])
    expect((task.result as Error).name).toBe('WorkerLostError')
  })

  it('a live lease is not taken: heartbeats keep a long task with its worker', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [1200] })
    const a = app.tasks.createWorker({ leaseMs: 300, pollInterval: 50 })
    const b = app.tasks.createWorker({ leaseMs: 300, pollInterval: 50 })
    await a.start()
    await waitFor(async () => (await task.reload()).status === 'running', 5000, 'task running', 10)
    await b.start()
    await sleep(1500)
    await Promise.all([a.stop(), b.stop()])
    await task.reload()
    expect([task.status, task.interruptions, task.attempts]).toEqual(['succeeded', 0, 1])
    expect(a.stats.succeeded + b.stats.succeeded).toBe(1)
  })

  it('a worker that lost its lease discards its outcome instead of finishing the task twice', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [300] })
    const worker = app.tasks.createWorker({ pollInterval: 50 })
    await worker.start()
    await waitFor(async () => (await task.reload()).status === 'running', 5000, 'task running', 10)
    await task.update({ lockedBy: 'someone-else' }) // as if rescued and claimed elsewhere
    await sleep(500)
    await worker.stop()
    await task.reload()
    expect(task.status).toBe('running')
    expect(task.success).toBeNull()
    expect(app.logger.lines.some((l) => l.includes(`LOST ${task.id}:`))).toBe(true)
  })

  it('cancel() stops a pending task from running; retry() runs a failed one again', async () => {
    const order = await app.Order.create({ total: 1 })
    const pending = await order.async('sendConfirmationEmail')
    await pending.cancel()
    expect([pending.status, pending.success]).toEqual(['cancelled', null])
    const failed = await order.async('fail', { args: ['first'] })
    expect(await app.tasks.createWorker().workOff()).toEqual({
      succeeded: 0,
      failed: 1,
      retried: 0,
    })
    await expect(failed.cancel()).rejects.toThrow(
      /is failed; only pending or running tasks can be cancelled/,
    )
    await failed.retry()
    expect([failed.status, failed.success, failed.maxAttempts]).toEqual(['pending', null, 2])
    await expect(failed.retry()).rejects.toThrow(/is pending; only failed or cancelled/)
    expect(await app.tasks.createWorker().workOff()).toEqual({
      succeeded: 0,
      failed: 1,
      retried: 0,
    })
    await failed.reload()
    expect([failed.status, failed.attempts, failed.attemptErrors.length]).toEqual(['failed', 2, 2])
    await pending.retry()
    expect((await app.tasks.createWorker().workOff()).succeeded).toBe(1)
  })
})
