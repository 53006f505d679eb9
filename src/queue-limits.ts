/**
 * Queue limits as the app states them: `installAsync(sequelize, { queues:
 * { mail: { concurrency: 5, rateLimit: { max: 100, per: 60_000 } } } })`
 * and `tasks.setQueueLimits(queue, limits)` at run time. The limits live on
 * the queue's row, so every worker on every host obeys the same ones; the
 * lifecycle enforces them in the claim (lifecycle/queue-limits.ts).
 *
 * A worker applies the configured limits when it starts, but only when the
 * configuration differs from the one last applied: a deploy that changes
 * them wins, a restart without a change keeps what an operator set at run
 * time.
 */
import { QueryTypes } from 'sequelize'
import type { Context } from './context.js'
import { AsyncTaskError } from './errors.js'
import type { StoredLimits } from './lifecycle/queue-limits.js'
import { QUEUES } from './migrations/0002-queues-and-recurring.js'

/** Limits of one queue. */
export interface QueueLimits {
  /** At most this many of the queue's tasks run at once, over every worker. */
  concurrency?: number | null
  /** At most `max` of the queue's tasks start per `per` milliseconds. */
  rateLimit?: { max: number; per: number } | null
}

/** What workers know of the queues: paused, limited, and each queue's limits. */
export interface QueueStates {
  paused: Set<string>
  limited: Set<string>
  limits: Map<
    string,
    { concurrency: number | null; rateLimit: { max: number; per: number } | null; running: number }
  >
}

function positive(what: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new AsyncTaskError(`${what} must be an integer from 1 to ${max}; got ${String(value)}.`)
  }
  return value
}

/** Checks limits for `queue`; the stored form. */
export function checkLimits(
  queue: string,
  limits: QueueLimits | null,
  config: string | null,
): StoredLimits {
  if (typeof queue !== 'string' || !/^[\w.:-]{1,100}$/.test(queue)) {
    throw new AsyncTaskError(
      `A queue name is 1 to 100 letters, digits, _ . : or -; got ${String(queue)}.`,
    )
  }
  const concurrency =
    limits?.concurrency === undefined || limits.concurrency === null
      ? null
      : positive(`queues.${queue}.concurrency`, limits.concurrency, 1_000_000)
  const rate = limits?.rateLimit ?? null
  if (rate !== null && (typeof rate !== 'object' || Array.isArray(rate))) {
    throw new AsyncTaskError(
      `queues.${queue}.rateLimit must be { max, per } (starts per milliseconds).`,
    )
  }
  return {
    concurrency,
    rateMax: rate === null ? null : positive(`queues.${queue}.rateLimit.max`, rate.max, 1_000_000),
    ratePerMs:
      rate === null ? null : positive(`queues.${queue}.rateLimit.per`, rate.per, 366 * 86_400_000),
    config,
  }
}

/** Checks the `queues` option of installAsync(); resolves to the stored form per queue. */
export function checkConfiguredLimits(
  queues: Record<string, QueueLimits> | undefined,
): Map<string, StoredLimits> {
  const out = new Map<string, StoredLimits>()
  for (const [queue, limits] of Object.entries(queues ?? {})) {
    const stored = checkLimits(queue, limits, null)
    out.set(queue, {
      ...stored,
      config: JSON.stringify([stored.concurrency, stored.rateMax, stored.ratePerMs]),
    })
  }
  return out
}

/** Sets (or with null clears) a queue's limits now, for every worker. */
export function setQueueLimits(
  ctx: Context,
  queue: string,
  limits: QueueLimits | null,
): Promise<void> {
  return ctx.lifecycle.setQueueLimits(queue, checkLimits(queue, limits, null))
}

/** Every queue with a row: paused, limits, running count. */
export async function queueStates(ctx: Context): Promise<QueueStates> {
  const rows = await ctx.sequelize.query<Record<string, unknown>>(
    `SELECT name, paused_at, concurrency, running, rate_max, rate_per_ms FROM ${QUEUES}`,
    { type: QueryTypes.SELECT },
  )
  const states: QueueStates = { paused: new Set(), limited: new Set(), limits: new Map() }
  for (const row of rows) {
    const name = String(row.name)
    if (row.paused_at !== null && row.paused_at !== undefined) states.paused.add(name)
    const concurrency =
      row.concurrency === null || row.concurrency === undefined ? null : Number(row.concurrency)
    const rateLimit =
      row.rate_max === null || row.rate_max === undefined
        ? null
        : { max: Number(row.rate_max), per: Number(row.rate_per_ms) }
    if (concurrency !== null || rateLimit !== null) {
      states.limited.add(name)
      states.limits.set(name, { concurrency, rateLimit, running: Number(row.running ?? 0) })
    }
  }
  return states
}

/** Applies the configured limits whose configuration changed since it was last applied. */
export async function applyConfiguredLimits(ctx: Context): Promise<void> {
  const configured = ctx.settings.queueLimits
  if (configured.size === 0) return
  const rows = await ctx.sequelize.query<{ name: string; config_limits: string | null }>(
    `SELECT name, config_limits FROM ${QUEUES}`,
    { type: QueryTypes.SELECT },
  )
  const applied = new Map(rows.map((row) => [row.name, row.config_limits]))
  for (const [queue, limits] of configured) {
    if (applied.get(queue) !== limits.config) await ctx.lifecycle.setQueueLimits(queue, limits)
  }
}
