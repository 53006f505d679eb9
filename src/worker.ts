/**
 * The worker: claim due tasks, execute up to `concurrency` at once, record
 * each outcome, wait for work. Database errors are logged and retried after
 * one poll interval (no hot loop); a task's error never stops the worker.
 */
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { hostname } from 'node:os'
import type { Context } from './context.js'
import { claim } from './claim/index.js'
import { probe } from './claim/probe.js'
import { execute } from './executor.js'
import { heartbeat, release } from './lease.js'
import { Upkeep } from './upkeep.js'
import { isTransient } from './transient.js'
import { Completer } from './batch-finish.js'
import { announce, depart, forgetStale } from './presence.js'
import { listen, type Listener } from './notify.js'
import { logLine } from './logger.js'
import { recordOutcome, type Recorded } from './outcome.js'
import { reportOutcome, type Emit, type WorkerEvents } from './worker-events.js'
import type { AsyncTask } from './task-model.js'
import {
  resolveWorkerOptions,
  type WorkerOptions,
  type ResolvedWorkerOptions,
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
}

interface Running {
  task: AsyncTask
  abort: AbortController
  done: Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class Worker extends EventEmitter<WorkerEvents> {
  /** Written to `locked_by` of the tasks this worker claims. */
  readonly id: string
  readonly options: ResolvedWorkerOptions
  private readonly running = new Map<number, Running>()
  /** Claimed ahead (`prefetch`), leased, waiting for a slot; in claim order. */
  private readonly buffer: AsyncTask[] = []
  /** When a task taken from the buffer really started. */
  private readonly startedLate = new WeakMap<AsyncTask, Date>()
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle'
  private wakeUp: (() => void) | undefined
  /** A wake-up that came while the loop was busy (claiming), so it is not lost. */
  private woken = false
  private loop: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private listener: Listener | undefined
  private beat: NodeJS.Timeout | undefined
  private readonly upkeep: Upkeep
  private readonly startedAt = new Date()
  /** The heartbeat in flight, so stop() can wait for it before the host closes the pool. */
  private beating: Promise<void> | undefined
  private readonly completer: Completer | undefined
  private readonly counts: AllCounts = { succeeded: 0, failed: 0, retried: 0, lost: 0 }
  // Typed pass-through for reportOutcome (emit's generic overloads do not
  // narrow through a spread).
  private readonly emitter: Emit = (event, ...args) =>
    void (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args)
  private readonly onEnqueued = (queue: string): void => {
    if (this.takes(queue)) this.wake()
  }

  constructor(
    private readonly ctx: Context,
    options: WorkerOptions = {},
  ) {
    super()
    this.options = resolveWorkerOptions(options, ctx.settings.leaseMs)
    this.upkeep = new Upkeep(ctx, this.options.upkeepInterval)
    this.id = this.options.name ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    if (this.options.batchCompletions) this.completer = new Completer(ctx, this.id)
  }

  /** Outcome counts since this worker was created. */
  get stats(): Readonly<AllCounts> & { running: number } {
    return { ...this.counts, running: this.running.size }
  }

  /** Starts the loop in the background; resolves once it runs. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return
    this.state = 'running'
    this.ctx.events.on('enqueued', this.onEnqueued)
    if (this.ctx.dialect === 'postgres' && this.options.listen) {
      this.listener = listen(this.ctx.sequelize, () => this.wake(), this.ctx.settings.logger)
    }
    // Announce before the first heartbeat (which announces too), not beside it.
    await this.announce().catch((err: unknown) => this.fault('announcing the worker failed', err))
    this.beat = setInterval(() => {
      this.beating ??= this.renewLeases().finally(() => (this.beating = undefined))
    }, this.options.leaseMs / 3)
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
    for (;;) {
      await this.upkeep.run(true)
      const tasks = await this.claimTasks(this.options.concurrency)
      if (tasks.length === 0 && this.running.size === 0) break
      await Promise.all(tasks.map((task) => this.launch(task).done))
    }
    return {
      succeeded: this.counts.succeeded - before.succeeded,
      failed: this.counts.failed - before.failed,
      retried: this.counts.retried - before.retried,
    }
  }

  private takes(queue: string): boolean {
    return this.options.queues.includes('*') || this.options.queues.includes(queue)
  }

  private wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve()
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const done = (): void => {
        clearTimeout(timer)
        this.wakeUp = undefined
        resolve()
      }
      if (ms !== Infinity) timer = setTimeout(done, ms)
      this.wakeUp = done
    })
  }

  private async run(): Promise<void> {
    while (this.state === 'running') {
      try {
        this.woken = false
        await this.upkeep.run(false)
        const more = await this.fill()
        if (this.state !== 'running') break
        if (more) continue
        await this.waitForWork()
      } catch (err) {
        // A deadlock victim claimed nothing: go again almost at once.
        const wait = isTransient(err) ? 5 + Math.random() * 20 : this.options.pollInterval
        this.fault(`worker ${this.id} (retrying in ${Math.round(wait)} ms)`, err)
        await this.idle(wait)
      }
    }
  }

  /**
   * Starts buffered tasks in free slots, then claims for the slots still free
   * plus room in the buffer. The buffer is topped up once it is half empty,
   * so one claim serves several tasks. Resolves true when the claim was full
   * (more may be due).
   */
  private async fill(): Promise<boolean> {
    const { concurrency, prefetch } = this.options
    this.startBuffered()
    const free = concurrency - this.running.size
    const room = free + prefetch - this.buffer.length
    if (room <= 0 || (free <= 0 && this.buffer.length > prefetch / 2)) return false
    const tasks = await this.claimTasks(room)
    this.buffer.push(...tasks)
    if (this.state === 'running') this.startBuffered()
    return tasks.length === room
  }

  private startBuffered(): void {
    while (this.running.size < this.options.concurrency && this.buffer.length > 0) {
      const task = this.buffer.shift() as AsyncTask
      // It waited after its claim set started_at; the outcome corrects it.
      if (this.options.prefetch > 0) this.startedLate.set(task, new Date())
      this.launch(task)
    }
  }

  /**
   * Idle until woken, a slot frees, or the poll interval passes; with free
   * slots, probe for due work every probeInterval on the way.
   */
  private async waitForWork(): Promise<void> {
    if (this.running.size >= this.options.concurrency) return this.idle(Infinity)
    const { pollInterval } = this.options
    const every = this.probeEvery()
    if (every === 0 || every >= pollInterval) return this.idle(pollInterval)
    const until = Date.now() + pollInterval
    for (;;) {
      const left = until - Date.now()
      if (left <= 0) return
      await this.idle(Math.min(every, left))
      if (this.woken || this.state !== 'running') return
      // A failed probe ends the wait: the claim then meets (and logs) the error.
      if (await this.probeQueues().catch(() => true)) return
    }
  }

  private probeEvery(): number {
    const { probeInterval } = this.options
    if (probeInterval !== undefined) return probeInterval
    return this.listener ? 0 : 100 // LISTEN/NOTIFY wakes the worker instead
  }

  private probeQueues(): Promise<boolean> {
    const { paused } = this.upkeep
    if (this.options.queues.includes('*')) return probe(this.ctx, null, [...paused])
    const queues = this.options.queues.filter((queue) => !paused.has(queue))
    return probe(this.ctx, queues, [])
  }

  private async claimTasks(limit: number): Promise<AsyncTask[]> {
    const { paused } = this.upkeep
    const all = this.options.queues.includes('*')
    const queues = all ? [null] : this.options.queues.filter((queue) => !paused.has(queue))
    const claimed: AsyncTask[] = []
    for (const queue of queues) {
      if (claimed.length >= limit) break
      const request = {
        queue,
        exclude: all ? [...paused] : [],
        limit: limit - claimed.length,
        workerId: this.id,
        leaseMs: this.options.leaseMs,
      }
      claimed.push(...(await claim(this.ctx, request)))
    }
    return claimed
  }

  private launch(task: AsyncTask): Running {
    const abort = new AbortController()
    const entry: Running = { task, abort, done: Promise.resolve() }
    this.running.set(task.id, entry)
    entry.done = this.perform(task, abort).finally(() => {
      this.running.delete(task.id)
      // The next claimed task takes the slot without a round trip.
      if (this.state === 'running') this.startBuffered()
      this.wake()
    })
    return entry
  }

  private async perform(task: AsyncTask, abort: AbortController): Promise<void> {
    const started = performance.now()
    this.emit('task:start', task)
    const outcome = await execute(this.ctx, task, abort)
    const ms = Math.round(performance.now() - started)
    const recorded = await this.saveOutcome(() =>
      recordOutcome(this.ctx, task, this.id, outcome, {
        completer: this.completer,
        startedAt: this.startedLate.get(task),
      }),
    )
    this.counts[recorded === 'retry' ? 'retried' : recorded === 'lost' ? 'lost' : recorded]++
    reportOutcome(this.ctx.settings.logger, this.emitter, task, recorded, ms, outcome)
  }

  /**
   * A result that could not be saved (database down) is retried, never
   * dropped. A deadlock victim (MySQL/MariaDB) is retried at once, a few
   * times without a log line: nothing was written, and it is routine there.
   * Once the worker has stopped (its unfinished tasks were released, or their
   * leases run out), retrying stops too: the task runs again elsewhere.
   */
  private async saveOutcome(save: () => Promise<Recorded>): Promise<Recorded> {
    let quiet = 3
    for (let delay = 10; ;) {
      try {
        return await save()
      } catch (err) {
        if (isTransient(err) && quiet-- > 0) {
          await sleep(5 + Math.random() * 20)
          continue
        }
        if (this.state === 'stopped') {
          this.fault('saving a task outcome failed after the worker stopped; it runs again', err)
          return 'lost'
        }
        this.fault(`saving a task outcome failed (retrying in ${delay} ms)`, err)
        await sleep(delay)
        delay = Math.min(delay * 2, 5000)
      }
    }
  }

  /** Logs a database or internal error and emits `worker:error`. */
  private fault(what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    this.ctx.settings.logger.error(logLine('ERROR', `${what}: ${error.message}`))
    this.emit('worker:error', error)
  }

  /** Every leaseMs / 3: renew the leases of running tasks, and say we are alive. */
  private async renewLeases(): Promise<void> {
    try {
      if (this.running.size + this.buffer.length > 0)
        await heartbeat(this.ctx, this.id, this.options.leaseMs)
    } catch (err) {
      this.fault('renewing the leases failed', err)
    }
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
    await announce(this.ctx, me, [...this.running.keys()])
    await forgetStale(this.ctx)
  }

  /** Hands tasks claimed ahead and never started back at once, for other workers. */
  private async releaseBuffer(): Promise<void> {
    const ids = this.buffer.splice(0).map((task) => task.id)
    if (ids.length === 0) return
    try {
      const released = await release(this.ctx, this.id, ids)
      this.ctx.settings.logger.info(
        logLine(
          'RELEASE',
          `${released} task(s) claimed ahead and not started handed back: ${ids.join(', ')}`,
        ),
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
    this.wake()
    await this.loop
    await this.releaseBuffer()
    const all = Promise.all([...this.running.values()].map((r) => r.done))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      all,
      new Promise((resolve) => (timer = setTimeout(resolve, this.options.shutdownTimeout))),
    ])
    clearTimeout(timer)
    const left = [...this.running.values()]
    if (left.length > 0) {
      // Release first, then abort: a method that honours the signal returns
      // at once, and its outcome must find the lease gone, not beat the release.
      const ids = left.map((r) => r.task.id)
      const released = await release(this.ctx, this.id, ids).catch((err: unknown) => {
        this.fault(
          `releasing tasks ${ids.join(', ')} failed (they return when their lease ends)`,
          err,
        )
        return 0
      })
      left.forEach((r) => r.abort.abort(new Error('worker shutting down')))
      if (released > 0) {
        this.ctx.settings.logger.info(
          logLine(
            'RELEASE',
            `${released} of ${ids.length} unfinished task(s) handed back: ${ids.join(', ')}`,
          ),
        )
      }
    }
    clearInterval(this.beat)
    await this.beating
    await depart(this.ctx, this.id).catch((err: unknown) =>
      this.fault('removing the worker row failed', err),
    )
    this.ctx.events.off('enqueued', this.onEnqueued)
    await this.listener?.close()
    this.state = 'stopped'
  }
}
