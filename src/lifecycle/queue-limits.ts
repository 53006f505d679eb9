/**
 * Queue limits (docs/flow-control.md): a cap on the running tasks of a
 * queue (`concurrency`) and a rate limit on its starts (`rate_max` per
 * `rate_per_ms`, counted in fixed windows of the database's clock), kept on
 * the queue's row of `async_queues` and shared by every worker and host.
 *
 * A claim from a limited queue takes the queue's row lock, claims no more
 * than the cap and the window allow, and counts what it claimed; each task
 * claimed under a cap holds the queue's permit (bit 2), given back by its
 * outcome or release. Every other claim leaves limited queues alone (the
 * guard below), so a queue that became limited a moment ago is never
 * over-run by a worker that has not heard of it yet: it claims nothing from
 * it until its upkeep reads the limit (at most a second).
 */
import type { Exec } from './connection.js'
import { isMysql, NOW, toDate, type Dialect } from './dialect.js'

const LIMITED = 'concurrency IS NOT NULL OR rate_max IS NOT NULL'

/** The claim's condition that keeps it off limited queues. */
export function unlimitedGuard(dialect: Dialect, named: boolean): string {
  if (named) {
    return `AND NOT EXISTS (SELECT 1 FROM async_queues WHERE name = :queue AND (${LIMITED}))`
  }
  return `AND queue NOT IN (SELECT name FROM async_queues WHERE ${LIMITED})`
}

/** The window number of now, in the database's clock (SQLite: the host's, a parameter). */
function windowSql(d: Dialect): string {
  if (d === 'postgres') return 'floor(extract(epoch from now()) * 1000 / rate_per_ms)'
  if (isMysql(d)) return 'FLOOR(UNIX_TIMESTAMP(NOW(3)) * 1000 / rate_per_ms)'
  return 'CAST(:nowMs / rate_per_ms AS INTEGER)'
}

const lockSql = (d: Dialect): string =>
  `SELECT concurrency, running, rate_max, window_no, window_count, ${NOW[d]} AS at,
     CASE WHEN rate_per_ms > 0 THEN ${windowSql(d)} END AS win
   FROM async_queues WHERE name = :queue AND (${LIMITED})${d === 'sqlite' ? '' : ' FOR UPDATE'}`

export interface QueueRoom {
  /** How many tasks the claim may take. */
  room: number
  /** Whether the claimed tasks hold the queue's permit (a cap is set). */
  capped: boolean
  /** The current window's number, with a rate limit. */
  win: number | null
  /** The count the current window starts from. */
  counted: number
  /**
   * The time the window was read at, which the claim stamps its tasks'
   * `started_at` with: a window must count the starts it says it counts
   * (MySQL's NOW(3) is per statement, so it would move on).
   */
  at: Date
}

/** Locks a limited queue's row and says how much a claim may take; null if the queue is not limited. */
export async function lockQueue(
  exec: Exec,
  dialect: Dialect,
  queue: string,
  limit: number,
  date: (d: Date) => unknown,
): Promise<QueueRoom | null> {
  const now = new Date()
  const { rows } = await exec(lockSql(dialect), { queue, nowMs: now.getTime(), now: date(now) })
  const row = rows[0]
  if (!row) return null
  let room = limit
  const capped = row.concurrency !== null && row.concurrency !== undefined
  if (capped) room = Math.min(room, Number(row.concurrency) - Number(row.running))
  const win = row.win === null || row.win === undefined ? null : Number(row.win)
  let counted = 0
  if (win !== null && row.rate_max !== null) {
    counted = Number(row.window_no) === win ? Number(row.window_count) : 0
    room = Math.min(room, Number(row.rate_max) - counted)
  }
  const at = dialect === 'sqlite' ? now : (toDate(row.at) ?? now)
  return { room: Math.max(0, room), capped, win, counted, at }
}

/** Counts a claim of `n` tasks on the locked queue row. */
export function countClaim(
  exec: Exec,
  queue: string,
  room: QueueRoom,
  n: number,
): Promise<unknown> {
  return exec(
    `UPDATE async_queues SET running = running + :capped, window_no = :win,
       window_count = :counted WHERE name = :queue`,
    { queue, capped: room.capped ? n : 0, win: room.win, counted: room.counted + n },
  )
}

/** Gives back the queue permits of tasks that stopped running. */
export async function releaseQueues(
  exec: Exec,
  dialect: Dialect,
  freed: Map<string, number>,
): Promise<void> {
  const max = dialect === 'sqlite' ? 'MAX' : 'GREATEST'
  for (const [queue, n] of [...freed].sort()) {
    await exec(`UPDATE async_queues SET running = ${max}(running - :n, 0) WHERE name = :queue`, {
      queue,
      n,
    })
  }
}

/**
 * The recount (upkeep, with the keys'): each capped queue's running count
 * from its running tasks — a task failed by rescue gave its permit back only
 * here, and one started before the cap was set is counted until it ends.
 */
export function recountQueuesSql(d: Dialect): { lock: string; count: string } {
  return {
    lock: `SELECT name FROM async_queues WHERE concurrency IS NOT NULL ORDER BY name${d === 'sqlite' ? '' : ' FOR UPDATE'}`,
    count: `UPDATE async_queues SET running = (
        SELECT COUNT(*) FROM async_tasks t
        WHERE t.queue = async_queues.name AND t.status = 'running'
      ), updated_at = ${NOW[d]}
      WHERE concurrency IS NOT NULL`,
  }
}

/** A queue's limits as stored: null clears one. */
export interface StoredLimits {
  concurrency: number | null
  rateMax: number | null
  ratePerMs: number | null
  /**
   * The configuration these came from (JSON), or null when set at run time
   * (which keeps the configuration last applied, so a restart does not undo it).
   */
  config: string | null
}

const ensureQueueSql = (d: Dialect): string => {
  const insert = `INSERT INTO async_queues (name, paused_at, running, window_count, updated_at)
    VALUES (:queue, NULL, 0, 0, ${NOW[d]})`
  return isMysql(d) ? insert.replace('INSERT', 'INSERT IGNORE') : `${insert} ON CONFLICT DO NOTHING`
}

/**
 * Sets a queue's limits, under its row lock. The running count starts from
 * the queue's tasks running now, so a cap set on a busy queue is not
 * over-run by what was already started.
 */
export async function setLimitsOn(
  exec: Exec,
  dialect: Dialect,
  queue: string,
  limits: StoredLimits,
  now: unknown,
): Promise<void> {
  await exec(ensureQueueSql(dialect), { queue, now })
  await exec(
    `SELECT name FROM async_queues WHERE name = :queue${dialect === 'sqlite' ? '' : ' FOR UPDATE'}`,
    {
      queue,
    },
  )
  const { rows } = await exec(
    "SELECT COUNT(*) AS n FROM async_tasks WHERE queue = :queue AND status = 'running'",
    { queue },
  )
  await exec(
    `UPDATE async_queues SET concurrency = :concurrency, rate_max = :rateMax,
       rate_per_ms = :ratePerMs, running = :running,
       config_limits = COALESCE(:config, config_limits),
       updated_at = ${NOW[dialect]}
     WHERE name = :queue`,
    { ...limits, queue, now, running: Number(rows[0]?.n ?? 0) },
  )
}
