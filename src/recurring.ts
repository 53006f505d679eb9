/**
 * Recurring tasks: `{ key, cron, target, action, args, priority, queue,
 * timezone, catchUp }` declared once (installAsync's `recurring`). Every
 * worker checks the schedule as part of its upkeep; the first to insert the
 * (key, slot) row enqueues the task, in the same transaction, so a slot runs
 * once however many workers and hosts race for it.
 *
 * Missed slots: a slot is enqueued if some worker sees it within `catchUp`
 * (default 10 minutes) of its time. If every worker was down for longer, that
 * slot is skipped and the schedule goes on with the next one; only the latest
 * slot is ever caught up, never a backlog of them.
 */
import { createRequire } from 'node:module'
import type { Cron } from 'croner'
import { UniqueConstraintError } from 'sequelize'
import type { Context } from './context.js'
import { enqueue } from './enqueue.js'
import { AsyncTaskError } from './errors.js'
import { SLOTS } from './migrations/0002-queues-and-recurring.js'
import { checkOptions } from './options.js'
import { logLine } from './logger.js'
import { isOutage } from './transient.js'

/** One recurring task, as declared in config. */
export interface RecurringTask {
  /** Unique, stable name of this schedule. */
  key: string
  /** Cron expression (5 or 6 fields), e.g. `'0 3 * * *'`. */
  cron: string
  /** A model name (static method) or a registered class name. */
  target: string
  action: string
  args?: unknown[]
  priority?: number
  queue?: string
  /** IANA time zone of the expression. Default: the process's. */
  timezone?: string
  /** How late (ms) a slot may still be enqueued after downtime. Default 10 minutes. */
  catchUp?: number
}

export interface Schedule {
  entry: RecurringTask
  cron: Cron
  catchUp: number
  /** The latest slot this process has handled. */
  lastSlot: number
}

const MAX_CATCH_UP = 29 * 86_400_000

// croner is loaded by the first schedule, not at import: a worker of an app
// without recurring tasks never needs the cron parser.
let CronClass: typeof Cron | undefined
function cronClass(): typeof Cron {
  CronClass ??= (createRequire(import.meta.url)('croner') as { Cron: typeof Cron }).Cron
  return CronClass
}

export function compileSchedules(entries: RecurringTask[] | undefined): Schedule[] {
  const keys = new Set<string>()
  return (entries ?? []).map((entry) => {
    const where = `recurring task ${JSON.stringify(entry?.key)}`
    if (!entry || typeof entry.key !== 'string' || !/^[\w.:-]{1,191}$/.test(entry.key)) {
      throw new AsyncTaskError(
        `Each recurring task needs a key of 1 to 191 letters, digits, _ . : or -; got ${where}.`,
      )
    }
    if (keys.has(entry.key))
      throw new AsyncTaskError(
        `Two recurring tasks have the key ${entry.key}; keys must be unique.`,
      )
    keys.add(entry.key)
    let cron: Cron
    try {
      cron = new (cronClass())(entry.cron, { timezone: entry.timezone, paused: true })
    } catch (err) {
      throw new AsyncTaskError(
        `${where}: cron ${JSON.stringify(entry.cron)} is invalid (${(err as Error).message}).`,
      )
    }
    const catchUp = entry.catchUp ?? 600_000
    if (!Number.isSafeInteger(catchUp) || catchUp < 0 || catchUp > MAX_CATCH_UP) {
      throw new AsyncTaskError(`${where}: catchUp must be milliseconds from 0 to ${MAX_CATCH_UP}.`)
    }
    checkOptions({ priority: entry.priority, queue: entry.queue }, { priority: 10, maxAttempts: 1 })
    return { entry, cron, catchUp, lastSlot: 0 }
  })
}

/** Checks that every schedule names something that can run; called at install time. */
export function checkTargets(ctx: Context, schedules: Schedule[]): void {
  for (const { entry } of schedules) resolveTarget(ctx, entry)
}

function resolveTarget(ctx: Context, entry: RecurringTask): object {
  try {
    const resolved = ctx.registry.resolve(entry.target)
    return resolved.kind === 'model' ? resolved.model : resolved.target
  } catch {
    throw new AsyncTaskError(
      `recurring task ${entry.key}: target ${JSON.stringify(entry.target)} is neither a model nor a registered class.`,
    )
  }
}

/** The latest slot at or before `now`, if it is recent enough to enqueue. */
function dueSlot(schedule: Schedule, now: Date): Date | undefined {
  const [slot] = schedule.cron.previousRuns(1, new Date(now.getTime() + 1))
  if (!slot || now.getTime() - slot.getTime() > schedule.catchUp) return undefined
  return slot
}

/** Enqueues the due slot of every schedule at most once; resolves to the number enqueued here. */
export async function runSchedules(
  ctx: Context,
  schedules: Schedule[],
  now = new Date(),
): Promise<number> {
  let enqueued = 0
  for (const schedule of schedules) {
    const slot = dueSlot(schedule, now)
    if (!slot || slot.getTime() <= schedule.lastSlot) continue
    try {
      if (await enqueueSlot(ctx, schedule.entry, slot)) enqueued++
    } catch (err) {
      // One schedule the database refuses must not hold back the others.
      if (isOutage(err)) throw err
      ctx.settings.logger.error(
        logLine(
          'ERROR',
          `recurring task ${schedule.entry.key}: slot ${slot.toISOString()} skipped: ${(err as Error).message}`,
        ),
      )
    }
    schedule.lastSlot = slot.getTime()
  }
  return enqueued
}

async function enqueueSlot(ctx: Context, entry: RecurringTask, slot: Date): Promise<boolean> {
  const target = resolveTarget(ctx, entry)
  try {
    await ctx.sequelize.transaction(async (transaction) => {
      const qi = ctx.sequelize.getQueryInterface()
      await qi.bulkInsert(
        SLOTS,
        [{ recurring_key: entry.key, slot_at: slot, created_at: new Date() }],
        { transaction },
      )
      const task = await enqueue(ctx, target, entry.action, {
        args: entry.args,
        priority: entry.priority,
        queue: entry.queue,
        scheduledAt: slot,
        transaction,
      })
      await qi.bulkUpdate(
        SLOTS,
        { task_id: task.id },
        { recurring_key: entry.key, slot_at: slot },
        { transaction },
      )
    })
    return true
  } catch (err) {
    if (err instanceof UniqueConstraintError) return false // another worker enqueued this slot
    throw err
  }
}

/** The next `count` times of a schedule, for inspection. */
export function nextRuns(schedule: Schedule, count: number, from = new Date()): Date[] {
  return schedule.cron.nextRuns(count, from)
}
