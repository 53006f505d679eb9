/**
 * Retention: finished tasks are deleted once older than the time kept for
 * their outcome (defaults: succeeded 7 days, failed and cancelled 30 days).
 * Deletes go in small batches by primary key, so a prune never holds many
 * locks or a long write lock, and the claim (which reads only `ready = 1`)
 * never waits behind it.
 */
import { Op } from 'sequelize'
import type { Context } from './context.js'
import { AsyncTaskError } from './errors.js'
import { SLOTS } from './migrations/0002-queues-and-recurring.js'

const DAY = 86_400_000

/** How long finished tasks are kept, in ms per outcome; `false` keeps them forever. */
export interface Retention {
  succeeded?: number | false
  failed?: number | false
  cancelled?: number | false
}

export const defaultRetention: Required<Retention> = {
  succeeded: 7 * DAY,
  failed: 30 * DAY,
  cancelled: 30 * DAY,
}

export function resolveRetention(
  retention: Retention | false | undefined,
): Required<Retention> | false {
  if (retention === false) return false
  const merged = { ...defaultRetention, ...retention }
  for (const [status, ms] of Object.entries(merged)) {
    if (ms !== false && (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)) {
      throw new AsyncTaskError(
        `retention.${status} must be milliseconds (≥ 0) or false; got ${String(ms)}.`,
      )
    }
  }
  return merged
}

/**
 * Deletes up to `batches` batches of `batchSize` expired tasks per outcome;
 * resolves to how many were deleted.
 */
export async function prune(
  ctx: Context,
  retention: Required<Retention>,
  { batchSize = 500, batches = Infinity }: { batchSize?: number; batches?: number } = {},
): Promise<number> {
  let deleted = 0
  for (const status of ['succeeded', 'failed', 'cancelled'] as const) {
    const keep = retention[status]
    if (keep === false) continue
    const cutoff = new Date(Date.now() - keep)
    deleted += await ctx.lifecycle.prune(status, cutoff, batchSize, batches)
  }
  // Slots of recurring tasks only guard against double enqueues around now.
  await ctx.sequelize
    .getQueryInterface()
    .bulkDelete(SLOTS, { created_at: { [Op.lt]: new Date(Date.now() - 30 * DAY) } })
  return deleted
}
