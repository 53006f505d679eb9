/**
 * A worker's periodic upkeep, at most once per `interval` (≤ 1 s): promote
 * scheduled tasks that became due, rescue tasks of lost workers, enqueue due
 * recurring slots, re-read paused queues; and about hourly, prune finished
 * tasks past their retention (one bounded batch per outcome per round, so the
 * claim is never starved).
 */
import type { Context } from './context.js'
import { promoteDue, rescueLost } from './lease.js'
import { logLine } from './logger.js'
import { pausedQueues } from './queues.js'
import { runSchedules } from './recurring.js'
import { prune } from './retention.js'

const PRUNE_EVERY = 3_600_000

export class Upkeep {
  /** Queues no worker should claim from now. */
  paused = new Set<string>()
  private last = 0
  // Spread the first prune of many workers started together over a minute.
  private nextPrune = Date.now() + Math.random() * 60_000

  constructor(
    private readonly ctx: Context,
    private readonly interval: number,
  ) {}

  async run(force: boolean): Promise<void> {
    const now = Date.now()
    if (!force && now - this.last < this.interval) return
    this.last = now
    const { ctx } = this
    await promoteDue(ctx)
    const { requeued, failed } = await rescueLost(ctx)
    if (requeued + failed > 0) {
      ctx.settings.logger.info(
        logLine(
          'RESCUE',
          `${requeued} task(s) of lost workers requeued, ${failed} failed for good`,
        ),
      )
    }
    if (ctx.schedules.length > 0) {
      const enqueued = await runSchedules(ctx, ctx.schedules, new Date(now))
      if (enqueued > 0) await promoteDue(ctx)
    }
    this.paused = new Set(await pausedQueues(ctx))
    if (ctx.settings.retention && now >= this.nextPrune) {
      this.nextPrune = now + PRUNE_EVERY
      const deleted = await prune(ctx, ctx.settings.retention, { batchSize: 500, batches: 1 })
      if (deleted > 0)
        ctx.settings.logger.info(
          logLine('PRUNE', `${deleted} finished task(s) past retention deleted`),
        )
    }
  }
}
