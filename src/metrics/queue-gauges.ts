/**
 * What the database says at scrape time: per queue, how many tasks are due
 * and waiting for a worker, and how long the oldest of them has been due;
 * and how many workers were heard from in the last minute.
 *
 * One aggregate over the `ready = 1` range of the claim index
 * (`async_tasks_claim_queue`: ready, queue, priority, scheduled_at, id), so
 * it reads the due tasks and nothing else — an index-only range, whatever
 * the history behind it. Finished and far-future rows are not in that range
 * (the partial index on PostgreSQL and SQLite; NULL or 0 `ready` on
 * MySQL/MariaDB), so a million of them cost nothing; a backlog of a million
 * due tasks is read whole (docs/observability.md has the figures).
 */
import { QueryTypes } from 'sequelize'
import type { Context } from '../context.js'
import { WORKERS } from '../migrations/0003-workers.js'
import { STALE_MS } from '../presence.js'

export interface QueueGauge {
  queue: string
  due: number
  /** Seconds since the oldest due task became due (its scheduled time); 0 with none. */
  oldestAgeSeconds: number
}

/** The age, computed on the database's clock (SQLite's is this host's). */
const DUE_SQL: Record<Context['dialect'], string> = {
  postgres: `SELECT queue, COUNT(*) AS due,
      EXTRACT(EPOCH FROM (now() - MIN(scheduled_at))) AS age
    FROM async_tasks WHERE ready = 1 GROUP BY queue`,
  mysql: `SELECT queue, COUNT(*) AS due,
      TIMESTAMPDIFF(MICROSECOND, MIN(scheduled_at), NOW(3)) / 1000000 AS age
    FROM async_tasks FORCE INDEX (async_tasks_claim_queue) WHERE ready = 1 GROUP BY queue`,
  mariadb: `SELECT queue, COUNT(*) AS due,
      TIMESTAMPDIFF(MICROSECOND, MIN(scheduled_at), NOW(3)) / 1000000 AS age
    FROM async_tasks FORCE INDEX (async_tasks_claim_queue) WHERE ready = 1 GROUP BY queue`,
  sqlite: `SELECT queue, COUNT(*) AS due, MIN(scheduled_at) AS oldest
    FROM async_tasks WHERE ready = 1 GROUP BY queue`,
}

export async function dueByQueue(ctx: Context): Promise<QueueGauge[]> {
  const rows = await ctx.sequelize.query<Record<string, unknown>>(DUE_SQL[ctx.dialect], {
    type: QueryTypes.SELECT,
  })
  const now = Date.now()
  return rows.map((row) => {
    const age =
      ctx.dialect === 'sqlite'
        ? (now - new Date(String(row.oldest)).getTime()) / 1000
        : Number(row.age)
    return {
      queue: String(row.queue),
      due: Number(row.due),
      oldestAgeSeconds: Number.isFinite(age) && age > 0 ? age : 0,
    }
  })
}

export interface LiveWorkers {
  count: number
  /** The queues they were started for (`*` left out). */
  queues: Set<string>
}

/** Workers seen in the last minute, on every host (async_workers, migration 0003). */
export async function liveWorkers(ctx: Context): Promise<LiveWorkers> {
  const rows = await ctx.sequelize.query<{ queues: unknown }>(
    `SELECT queues FROM ${WORKERS} WHERE last_seen_at >= :since`,
    { type: QueryTypes.SELECT, replacements: { since: new Date(Date.now() - STALE_MS) } },
  )
  const queues = new Set<string>()
  for (const row of rows) {
    for (const queue of String(row.queues).split(',')) if (queue && queue !== '*') queues.add(queue)
  }
  return { count: rows.length, queues }
}
