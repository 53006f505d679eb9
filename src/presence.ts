/**
 * Worker presence: a row per live worker in async_workers (host, pid, uid,
 * queues, the ids it is running, last seen). Written by the worker's upkeep
 * every few seconds, removed on stop; rows not refreshed for a while belong
 * to dead workers and are removed by any other worker.
 */
import { hostname } from 'node:os'
import { Op, QueryTypes, UniqueConstraintError } from 'sequelize'
import { affectedRows } from './affected-rows.js'
import type { Context } from './context.js'
import { WORKERS } from './migrations/0003-workers.js'

/** A worker as operators see it. */
export interface WorkerInfo {
  id: string
  host: string
  pid: number
  uid: string | null
  queues: string[]
  concurrency: number
  /** Ids of the tasks it runs now. */
  running: number[]
  startedAt: Date
  lastSeenAt: Date
}

/** A worker unseen for this long is presumed dead. */
export const STALE_MS = 60_000

export interface PresenceRow {
  id: string
  uid: string | null
  queues: string[]
  concurrency: number
  startedAt: Date
}

export async function announce(ctx: Context, me: PresenceRow, running: number[]): Promise<void> {
  const values = { running: JSON.stringify(running), last_seen_at: new Date() }
  const update = async (): Promise<number> => {
    const [, meta] = await ctx.sequelize.query(
      `UPDATE ${WORKERS} SET running = :running, last_seen_at = :last_seen_at WHERE id = :id`,
      { type: QueryTypes.UPDATE, replacements: { ...values, id: me.id } },
    )
    return affectedRows(meta)
  }
  if ((await update()) > 0) return
  try {
    await ctx.sequelize.getQueryInterface().bulkInsert(WORKERS, [
      {
        id: me.id,
        host: hostname(),
        pid: process.pid,
        uid: me.uid,
        queues: me.queues.join(','),
        concurrency: me.concurrency,
        started_at: me.startedAt,
        ...values,
      },
    ])
  } catch (err) {
    // Two announces of one worker both found no row; the other inserted it.
    if (!(err instanceof UniqueConstraintError)) throw err
    await update()
  }
}

export async function depart(ctx: Context, id: string): Promise<void> {
  await ctx.sequelize.getQueryInterface().bulkDelete(WORKERS, { id })
}

export async function forgetStale(ctx: Context): Promise<void> {
  await ctx.sequelize
    .getQueryInterface()
    .bulkDelete(WORKERS, { last_seen_at: { [Op.lt]: new Date(Date.now() - STALE_MS) } })
}

/** Every worker seen in the last minute. */
export async function listWorkers(ctx: Context): Promise<WorkerInfo[]> {
  const rows = await ctx.sequelize.query<Record<string, unknown>>(
    `SELECT * FROM ${WORKERS} WHERE last_seen_at >= :since ORDER BY host, pid`,
    { type: QueryTypes.SELECT, replacements: { since: new Date(Date.now() - STALE_MS) } },
  )
  return rows.map((row) => ({
    id: String(row.id),
    host: String(row.host),
    pid: Number(row.pid),
    uid: typeof row.uid === 'string' || typeof row.uid === 'number' ? String(row.uid) : null,
    queues: String(row.queues).split(','),
    concurrency: Number(row.concurrency),
    running: JSON.parse(String(row.running)) as number[],
    startedAt: new Date(row.started_at as string),
    lastSeenAt: new Date(row.last_seen_at as string),
  }))
}
