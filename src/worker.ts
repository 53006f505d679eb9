/**
 * The worker: claim due tasks, execute up to `concurrency` at once, store
 * each outcome with the next claim, wait for work. Database errors are
 * logged and retried after one poll interval (no hot loop); a task's error
 * never stops the worker.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type { Context } from './context.js'
import { toInstance, type TaskRow } from './lifecycle/index.js'
import { logLine } from './logger.js'
import { announce, depart, forgetStale } from './presence.js'
import type { Ending } from './recorder.js'
import { Slots } from './slots.js'
import { isTransient } from './transient.js'
import { Upkeep } from './upkeep.js'
import { applyConfiguredLimits } from './queue-limits.js'
import { WorkWaiter } from './work-waiter.js'
import { reportOutcome, type Announcer, type Recorded, type WorkerEvents } from './worker-events.js'
import {
  resolveWorkerOptions,
  type ResolvedWorkerOptions,
  type WorkerOptions,
} from './worker-options.js'

export type { WorkerOptions } from './worker-options.js'

/** Counts of outcomes, as `workOff()` resolves them. */
export interface WorkCounts {
  succeeded: number
  failed: number
  retried: number
}

interface AllCounts extends WorkCounts {
  lost: number
  snoozed: number
  cancelled: number
}

const COUNTED: Record<Recorded, keyof AllCounts> = {
  succeeded: 'succeeded',
  failed: 'failed',
  retry: 'retried',
  snooze: 'snoozed',
  cancelled: 'cancelled',
  lost: 'lost',
}

export class Worker extends EventEmitter<WorkerEvents> {
  /** Written to `locked_by` of the tasks this worker claims. */
  readonly id: string
  readonly options: ResolvedWorkerOptions
  private readonly slots: Slots
  private readonly upkeep: Upkeep
  private readonly waiter: WorkWaiter
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle'
  private loop: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private beat: NodeJS.Timeout | undefined
  /** The heartbeat in flight, so stop() can wait for it before the host closes the pool. */
  private beating: Promise<void> | undefined
  private readonly startedAt = new Date()
  private readonly counts: AllCounts = {
    succeeded: 0,
    failed: 0,
    retried: 0,
    lost: 0,
    snoozed: 0,
    cancelled: 0,
  }
  private readonly announcer: Announcer = {
    listens: (event) => this.listenerCount(event) > 0,
    emit: (event, ...args) =>
      void (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
  }

  constructor(
    private readonly ctx: Context,
    options: WorkerOptions = {},
  ) {
    super()
    this.options = resolveWorkerOptions(options, ctx.settings.leaseMs)
    this.id = this.options.name ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    this.upkeep = new Upkeep(ctx, this.options.upkeepInterval)
    const { concurrency, prefetch, batchCompletions, leaseMs, queues } = this.options
    this.slots = new Slots(
      ctx,
      { workerId: this.id, concurrency, prefetch, batch: batchCompletions, leaseMs, queues },
      {
        start: (row) => this.started(row),
        ended: (ending, recorded) => this.ended(ending, recorded),
        fault: (what, err) => this.fault(what, err),
      },
    )
    this.waiter = new WorkWaiter(ctx, this.options, this.slots, () => this.state === 'running')
  }

  /** Outcome counts since this worker was created. */
  get stats(): Readonly<AllCounts> & { running: number } {
    return { ...this.counts, running: this.slots.running.size }
  }

  /** Starts the loop in the background; resolves once it runs. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return
    this.state = 'running'
    this.slots.accepting = true
    this.waiter.open()
    await applyConfiguredLimits(this.ctx).catch((err: unknown) =>
      this.fault('applying the configured queue limits failed', err),
    )
    // Announce before the first heartbeat (which announces too), not beside it.
    await this.announce().catch((err: unknown) => this.fault('announcing the worker failed', err))
    this.startBeat()
    this.loop = this.run()
    await Promise.resolve()
  }

  /**
   * Stops claiming, lets running tasks finish within `shutdownTimeout`, then
   * releases the rest to other workers. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  /** Runs every due task (including those that become due meanwhile), then resolves with counts. */
  async workOff(): Promise<WorkCounts> {
    const before = { ...this.counts }
    const own = this.state === 'idle'
    if (own) {
      this.slots.accepting = true
      this.startBeat()
      await applyConfiguredLimits(this.ctx)
    }
    try {
      for (;;) {
        const done = this.finishedCount()
        await this.ctx.lifecycle.retrying(() => this.upkeep.run(true))
        this.slots.paused = this.upkeep.paused
        this.slots.limited = this.upkeep.limited
        this.slots.lookAgain()
        await this.drain()
        if (this.finishedCount() === done && this.slots.idle) break
      }
    } finally {
      if (own) {
        this.slots.accepting = false
        clearInterval(this.beat)
        this.ctx.events.off('cancel', this.onCancel)
        await this.beating
      }
    }
    return {
      succeeded: this.counts.succeeded - before.succeeded,
      failed: this.counts.failed - before.failed,
      retried: this.counts.retried - before.retried,
    }
  }

  private finishedCount(): number {
    const { succeeded, failed, retried, lost, snoozed, cancelled } = this.counts
    return succeeded + failed + retried + lost + snoozed + cancelled
  }

  /** Claims and runs until every queue came back short and nothing is left in flight. */
  private async drain(): Promise<void> {
    for (;;) {
      const changed = this.slots.changed()
      await this.ctx.lifecycle.retrying(() => this.slots.fill())
      if (this.slots.idle) return
      await changed
    }
  }

  private async run(): Promise<void> {
    while (this.state === 'running') {
      try {
        await this.upkeep.run(false)
        this.slots.paused = this.upkeep.paused
        this.slots.limited = this.upkeep.limited
        await this.slots.fill()
        if (this.state !== 'running') break
        await this.waiter.wait()
      } catch (err) {
        // A deadlock victim claimed nothing: go again almost at once.
        const wait = isTransient(err) ? 5 + Math.random() * 20 : this.options.pollInterval
        this.fault(`worker ${this.id} (retrying in ${Math.round(wait)} ms)`, err)
        await this.waiter.pause(wait)
      }
    }
  }

  private started(row: TaskRow): void {
    if (this.listenerCount('task:start') > 0)
      this.emit('task:start', toInstance(this.ctx.AsyncTask, row))
  }

  private ended(ending: Ending, recorded: Recorded): void {
    this.counts[COUNTED[recorded]]++
    const { row, ms, value, error } = ending
    reportOutcome(
      this.ctx.settings.logger,
      this.announcer,
      () => toInstance(this.ctx.AsyncTask, row),
      {
        row,
        recorded,
        ms,
        value,
        error,
      },
    )
  }

  /** Logs a database or internal error and emits `worker:error`. */
  private fault(what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    this.ctx.settings.logger.error(logLine('ERROR', `${what}: ${error.message}`))
    if (this.listenerCount('worker:error') > 0) this.emit('worker:error', error)
  }

  /** A cancel asked in this process reaches the run at once, not at the next heartbeat. */
  private readonly onCancel = (ids: number[]): void => this.slots.cancel(ids)

  private startBeat(): void {
    this.ctx.events.off('cancel', this.onCancel)
    this.ctx.events.on('cancel', this.onCancel)
    clearInterval(this.beat)
    this.beat = setInterval(() => {
      this.beating ??= this.renewLeases().finally(() => (this.beating = undefined))
    }, this.options.leaseMs / 3)
  }

  /** Every leaseMs / 3: renew the leases of this worker's tasks, and say we are alive. */
  private async renewLeases(): Promise<void> {
    const ids = this.slots.leased()
    try {
      if (ids.length > 0) {
        const cancelled = await this.ctx.lifecycle.heartbeat(this.id, ids, this.options.leaseMs)
        this.slots.cancel(cancelled)
      }
    } catch (err) {
      this.fault('renewing the leases failed', err)
    }
    if (this.state === 'running')
      await this.announce().catch((err: unknown) => this.fault('announcing the worker failed', err))
  }

  private async announce(): Promise<void> {
    const me = {
      id: this.id,
      uid: this.options.uid,
      queues: this.options.queues,
      concurrency: this.options.concurrency,
      startedAt: this.startedAt,
    }
    await announce(this.ctx, me, [...this.slots.running.keys()])
    await forgetStale(this.ctx)
  }

  /** Hands tasks back to other workers (claimed ahead and never started, or unfinished). */
  private async release(ids: number[], what: string): Promise<void> {
    if (ids.length === 0) return
    try {
      const released = await this.ctx.lifecycle.release(this.id, ids)
      this.ctx.settings.logger.info(
        logLine('RELEASE', `${released} of ${ids.length} ${what} handed back: ${ids.join(', ')}`),
      )
    } catch (err) {
      this.fault(
        `releasing tasks ${ids.join(', ')} failed (they return when their lease ends)`,
        err,
      )
    }
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped'
      return
    }
    this.state = 'stopping'
    this.slots.accepting = false
    const closed = this.waiter.close()
    await this.loop
    await closed
    const { shutdownTimeout } = this.options
    // Claims in flight land first: what fits in a free slot starts.
    await this.settle(shutdownTimeout, () => !this.slots.claiming)
    await this.release(this.slots.takeBuffer(), 'task(s) claimed ahead and not started')
    const finished = await this.settle(shutdownTimeout, () => this.slots.running.size === 0)
    if (!finished) {
      // Release first, then abort: a method that honours the signal returns
      // at once, and its outcome must find the lease gone, not beat the release.
      await this.release([...this.slots.running.keys()], 'unfinished task(s)')
      this.slots.abortAll(new Error('worker shutting down'))
    }
    // Outcomes of runs that ended are stored before the worker says it stopped,
    // and what a claim in flight brought back goes back too.
    if (!(await this.settle(shutdownTimeout, () => !this.slots.writing))) this.slots.close()
    await this.release(this.slots.takeBuffer(), 'task(s) claimed while stopping')
    clearInterval(this.beat)
    this.ctx.events.off('cancel', this.onCancel)
    await this.beating
    await depart(this.ctx, this.id).catch((err: unknown) =>
      this.fault('removing the worker row failed', err),
    )
    this.state = 'stopped'
  }

  /** Waits until `done()` holds or `ms` pass; resolves whether it holds. */
  private async settle(ms: number, done: () => boolean): Promise<boolean> {
    const deadline = Date.now() + ms
    while (!done()) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.slots.changed(),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 1000)))),
      ])
      clearTimeout(timer)
    }
    return true
  }
}
