/**
 * Pausing a queue: workers stop claiming from it (tasks already running
 * finish) until it is resumed. The state is a row per queue, so every worker
 * on every host sees it; workers re-read it at most once a second.
 */
import { QueryTypes } from 'sequelize'
import { affectedRows } from './affected-rows.js'
import type { Context } from './context.js'
import { EnqueueError } from './errors.js'
import { QUEUES } from './migrations/0002-queues-and-recurring.js'

function checkName(queue: string): void {
  if (typeof queue !== 'string' || !/^[\w.:-]{1,100}$/.test(queue)) {
    throw new EnqueueError(
      `A queue name is 1 to 100 letters, digits, _ . : or -; got ${String(queue)}.`,
    )
  }
}

async function setPaused(ctx: Context, queue: string, pausedAt: Date | null): Promise<void> {
  checkName(queue)
  const now = new Date()
  const updated = await ctx.sequelize.query(
    `UPDATE ${QUEUES} SET paused_at = :pausedAt, updated_at = :now WHERE name = :queue`,
    {
      type: QueryTypes.UPDATE,
      replacements: { pausedAt, now, queue },
    },
  )
  if (affectedRows(updated[1]) > 0 || pausedAt === null) return
  try {
    await ctx.sequelize.query(
      `INSERT INTO ${QUEUES} (name, paused_at, updated_at) VALUES (:queue, :pausedAt, :now)`,
      {
        type: QueryTypes.INSERT,
        replacements: { pausedAt, now, queue },
      },
    )
  } catch {
    // Another process inserted it meanwhile; set it once more.
    await setPaused(ctx, queue, pausedAt)
  }
}

export const pauseQueue = (ctx: Context, queue: string): Promise<void> =>
  setPaused(ctx, queue, new Date())
export const resumeQueue = (ctx: Context, queue: string): Promise<void> =>
  setPaused(ctx, queue, null)

/** Names of the paused queues. */
export async function pausedQueues(ctx: Context): Promise<string[]> {
  const rows = await ctx.sequelize.query<{ name: string }>(
    `SELECT name FROM ${QUEUES} WHERE paused_at IS NOT NULL`,
    {
      type: QueryTypes.SELECT,
    },
  )
  return rows.map((row) => row.name).sort()
}
