/**
 * A worker's periodic upkeep, at most once per `interval` (≤ 1 s): promote
 * scheduled tasks that became due, rescue tasks of lost workers, enqueue due
 * recurring slots, re-read paused queues; and about hourly, prune finished
 * tasks past their retention (one bounded batch per outcome per round, so the
 * claim is never starved). Each step runs on its own: one that the
 * database refuses is logged and the others still run, on every worker;
 * only an unreachable database ends the round (the worker's loop logs it
 * once and waits a poll interval).
 */
import type { Context } from './context.js'
import { WorkerLostError } from './errors.js'
import { logLine } from './logger.js'
import { queueStates } from './queue-limits.js'
import { runSchedules } from './recurring.js'
import { prune } from './retention.js'
import { serialize } from './serializer.js'
import { isOutage } from './transient.js'

const PRUNE_EVERY = 3_600_000
const RECOUNT_EVERY = 60_000

export class Upkeep {
  /** Queues no worker should claim from now. */
  paused = new Set<string>()
  /** Queues with limits: claimed under the queue's lock. */
  limited = new Set<string>()
  private last = 0
  // Spread the first prune of many workers started together over a minute.
  private nextPrune = Date.now() + Math.random() * 60_000
  private nextRecount = Date.now() + Math.random() * RECOUNT_EVERY

  constructor(
    private readonly ctx: Context,
    private readonly interval: number,
  ) {}

  /** Runs the steps if `interval` passed since the last run (always with `force`). */
  async run(force: boolean): Promise<void> {
    const now = Date.now()
    if (!force && now - this.last < this.interval) return
    this.last = now
    const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn()
      } catch (err) {
        if (isOutage(err)) throw err
        this.log('error', 'ERROR', `upkeep: ${name} failed: ${(err as Error).message}`)
      }
    }
    await step('promoting scheduled tasks', () => this.promote())
    await step('admitting tasks blocked by their concurrency key', () => this.admit(now))
    await step('rescuing tasks of lost workers', () => this.rescue())
    await step('deciding tasks whose parents ended', async () => {
      await this.ctx.lifecycle.sweepWaiting()
    })
    if (this.ctx.schedules.length > 0)
      await step('enqueuing recurring tasks', () => this.recurring(now))
    await step('reading paused and limited queues', async () => {
      const states = await queueStates(this.ctx)
      this.paused = states.paused
      this.limited = states.limited
    })
    if (this.ctx.settings.retention && now >= this.nextPrune) {
      this.nextPrune = now + PRUNE_EVERY
      await step('pruning finished tasks', () => this.prune())
    }
  }

  private log(level: 'info' | 'error', word: string, text: string): void {
    this.ctx.settings.logger[level](logLine(word, text))
  }

  private async promote(): Promise<void> {
    await this.ctx.lifecycle.promote()
  }

  /**
   * Tasks blocked by their concurrency key whose key has room: after a
   * promotion, a retry, or a wake-up a concurrent enqueue missed. About once
   * a minute, the holders of every key are counted again from the tasks.
   */
  private async admit(now: number): Promise<void> {
    if (now >= this.nextRecount) {
      this.nextRecount = now + RECOUNT_EVERY
      await this.ctx.lifecycle.recount()
    }
    await this.ctx.lifecycle.sweep()
  }

  private async rescue(): Promise<void> {
    const max = this.ctx.settings.maxInterruptions
    const lost = new WorkerLostError(
      `The worker running this task stopped (killed, crashed or cut off from the database) ${max} time(s); it is not retried again. Look for what makes the worker die (memory, process.exit, native crashes).`,
    )
    const { requeued, failed } = await this.ctx.lifecycle.rescue(max, {
      error: `${lost.name}: ${lost.message}`,
      result: serialize(lost),
    })
    if (requeued + failed > 0)
      this.log(
        'info',
        'RESCUE',
        `${requeued} task(s) of lost workers requeued, ${failed} failed for good`,
      )
  }

  private async recurring(now: number): Promise<void> {
    const enqueued = await runSchedules(this.ctx, this.ctx.schedules, new Date(now))
    if (enqueued > 0) await this.ctx.lifecycle.promote()
  }

  private async prune(): Promise<void> {
    const retention = this.ctx.settings.retention
    if (!retention) return
    const deleted = await prune(this.ctx, retention, { batchSize: 500, batches: 1 })
    if (deleted > 0) this.log('info', 'PRUNE', `${deleted} finished task(s) past retention deleted`)
  }
}
