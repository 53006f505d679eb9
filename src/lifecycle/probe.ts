/**
 * Is anything claimable? A read of the claim index (`ready = 1`, then the
 * queue), no lock and no transaction: on SQLite in WAL mode it does not take
 * the write lock a claim needs, on MySQL/MariaDB it locks nothing. An idle
 * worker runs it between polls, so a new task is noticed within the probe
 * interval, and the claim (a write) runs only when there is something to take.
 */
import type { Context } from '../context.js'

/** `queues`: the queues to look in, or null for all of them except `exclude` (the paused). */
export async function probe(
  ctx: Context,
  queues: string[] | null,
  exclude: string[],
): Promise<boolean> {
  if (queues !== null && queues.length === 0) return false // every queue of the worker is paused
  const pg = ctx.dialect === 'postgres'
  let condition = ''
  if (queues !== null)
    condition = pg ? 'AND queue = ANY(:queues::text[])' : 'AND queue IN (:queues)'
  else if (exclude.length > 0)
    condition = pg ? 'AND queue <> ALL(:exclude::text[])' : 'AND queue NOT IN (:exclude)'
  const { rows } = await ctx.lifecycle.connections.run(
    `SELECT 1 AS found FROM async_tasks WHERE ready = 1 ${condition} LIMIT 1`,
    { queues, exclude },
  )
  return rows.length > 0
}
