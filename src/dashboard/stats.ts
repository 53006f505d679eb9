/**
 * The numbers of the overview, in three small queries whose cost does not grow
 * with history:
 * - counts per status: one GROUP BY over the (status, finished_at) index;
 * - the unfinished set (pending, running) per queue and its depth over time;
 * - tasks finished in the last hour (the `status, finished_at` index range),
 *   per queue and status, bucketed with CASE sums.
 * Buckets are compared against bound timestamps rather than computed with
 * date functions, because those differ on SQLite, PostgreSQL and MySQL (and
 * SQLite keeps dates as text); a range comparison works the same on all three.
 */
import { QueryTypes } from 'sequelize'
import type { AsyncTasks } from '../install.js'
import type { TaskStatus } from '../task-model.js'
import { TABLE } from '../migrations/0001-create-async-tasks.js'

export const STATUSES: TaskStatus[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled']

export const BUCKETS = 12
export const BUCKET_MS = 5 * 60_000

export interface QueueCounts {
  name: string
  pending: number
  running: number
  succeeded: number
  failed: number
}

export interface Overview {
  statusCounts: Record<TaskStatus, number>
  queues: QueueCounts[]
  /** Start of each bucket; bucket i is [starts[i], starts[i] + BUCKET_MS). */
  starts: Date[]
  succeededPerBucket: number[]
  failedPerBucket: number[]
  /** Tasks due and not finished at the end of each bucket. */
  depth: number[]
}

type Row = Record<string, unknown>

const num = (value: unknown): number => Number(value ?? 0) || 0

function bucketColumns(prefix: string, condition: (i: number) => string): string {
  return Array.from(
    { length: BUCKETS },
    (_, i) => `SUM(CASE WHEN ${condition(i)} THEN 1 ELSE 0 END) AS ${prefix}${i}`,
  ).join(', ')
}

function bucketTimes(at: Date): { starts: Date[]; marks: Record<string, Date> } {
  // Edges on whole minutes: MySQL drops the milliseconds of a bound date, so
  // an edge of 12:00:05.300 would be 12:00:05 there and lose a task finished
  // in between. Whole minutes also make tidy chart labels.
  // The last edge is the next whole minute, strictly after `at`.
  const now = new Date((Math.floor(at.getTime() / 60_000) + 1) * 60_000)
  const starts = Array.from(
    { length: BUCKETS },
    (_, i) => new Date(now.getTime() - (BUCKETS - i) * BUCKET_MS),
  )
  const marks: Record<string, Date> = {}
  starts.forEach((start, i) => (marks[`t${i}`] = start))
  marks[`t${BUCKETS}`] = now
  return { starts, marks }
}

async function statusCounts(tasks: AsyncTasks): Promise<Record<TaskStatus, number>> {
  const rows = (await tasks.AsyncTask.count({ group: ['status'] })) as unknown as Array<{
    status: string
    count: number | string
  }>
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>
  for (const row of rows) {
    if (row.status in counts) counts[row.status as TaskStatus] = num(row.count)
  }
  return counts
}

function queueOf(map: Map<string, QueueCounts>, name: string): QueueCounts {
  let entry = map.get(name)
  if (!entry) {
    entry = { name, pending: 0, running: 0, succeeded: 0, failed: 0 }
    map.set(name, entry)
  }
  return entry
}

/** Everything the overview shows, as of `now`. */
export async function loadOverview(tasks: AsyncTasks, now = new Date()): Promise<Overview> {
  const { starts, marks } = bucketTimes(now)
  const query = (sql: string): Promise<Row[]> =>
    tasks.sequelize.query<Row>(sql, {
      type: QueryTypes.SELECT,
      replacements: marks,
    })
  const depthAt = (i: number): string => `created_at <= :t${i + 1} AND scheduled_at <= :t${i + 1}`
  const [counts, open, finished] = await Promise.all([
    statusCounts(tasks),
    query(
      `SELECT queue, status, COUNT(*) AS n, ${bucketColumns('d', depthAt)} FROM ${TABLE}
       WHERE status IN ('pending', 'running') GROUP BY queue, status`,
    ),
    query(
      `SELECT queue, status, ${bucketColumns('f', (i) => `finished_at >= :t${i} AND finished_at < :t${i + 1}`)},
       ${bucketColumns('d', (i) => `${depthAt(i)} AND finished_at > :t${i + 1}`)}
       FROM ${TABLE} WHERE status IN ('succeeded', 'failed', 'cancelled') AND finished_at >= :t0
       GROUP BY queue, status`,
    ),
  ])
  const queues = new Map<string, QueueCounts>()
  const zeros = (): number[] => Array.from({ length: BUCKETS }, () => 0)
  const [succeededPerBucket, failedPerBucket, depth] = [zeros(), zeros(), zeros()]
  for (const row of open) {
    const entry = queueOf(queues, String(row.queue))
    if (row.status === 'pending' || row.status === 'running') entry[row.status] += num(row.n)
    for (let i = 0; i < BUCKETS; i++) depth[i] = (depth[i] ?? 0) + num(row[`d${i}`])
  }
  for (const row of finished) {
    const entry = queueOf(queues, String(row.queue))
    const perBucket = row.status === 'succeeded' ? succeededPerBucket : failedPerBucket
    for (let i = 0; i < BUCKETS; i++) {
      const n = num(row[`f${i}`])
      if (row.status !== 'cancelled') perBucket[i] = (perBucket[i] ?? 0) + n
      if (row.status === 'succeeded' || row.status === 'failed') entry[row.status] += n
      depth[i] = (depth[i] ?? 0) + num(row[`d${i}`])
    }
  }
  return {
    statusCounts: counts,
    queues: [...queues.values()].sort((a, b) => a.name.localeCompare(b.name)),
    starts,
    succeededPerBucket,
    failedPerBucket,
    depth,
  }
}
