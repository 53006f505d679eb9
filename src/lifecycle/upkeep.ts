/**
 * Transitions no worker asked for, run by every worker's upkeep:
 *
 * - promote: pending and scheduled → pending and due (`ready` 0 → 1), a
 *   bounded batch per call so one call never holds locks on a huge backlog.
 *   It reads only the `ready = 0` range by time (the due index).
 * - rescue: running with an expired lease (its worker was killed or cut off)
 *   → pending again, or failed with WorkerLostError once it has lost its
 *   worker `maxInterruptions` times, so a task that kills its worker every
 *   time cannot take the workers down in a loop.
 *
 * A requeued task stays due and keeps its key's permit; one that fails
 * frees it, counted back by the next recount of its key (keys.ts).
 *
 * Each is written as `SET … WHERE <condition>`, so that a batch which fails
 * (a row the database refuses) can be redone row by row, skipping only the
 * row that fails (see Lifecycle.eachOrAll).
 */
import { NOW, type Dialect } from './dialect.js'

const INT_MAX = 2147483647
const plusOne = (column: string): string =>
  `${column} = CASE WHEN ${column} < ${INT_MAX} THEN ${column} + 1 ELSE ${column} END`

export interface SetWhere {
  set: string
  where: string
  /** The candidates, in the order the batch takes them, at most :batch. */
  pick: string
}

export function promote(d: Dialect): SetWhere {
  const where = `ready = 0 AND scheduled_at <= ${NOW[d]}`
  return {
    // A task with a concurrency key waits blocked until its key admits it.
    set: 'ready = CASE WHEN concurrency_key IS NULL THEN 1 ELSE 2 END',
    where,
    pick: `SELECT id FROM async_tasks WHERE ${where} ORDER BY scheduled_at LIMIT :batch`,
  }
}

/** Lost for good: the last interruption allowed. */
export function failLost(d: Dialect): SetWhere {
  const now = NOW[d]
  const where = `status = 'running' AND locked_until < ${now} AND interruptions >= :maxInterruptions - 1`
  return {
    set: `status = 'failed', success = FALSE, ready = NULL, locked_by = NULL, locked_until = NULL,
      permits = 0, unique_hold = NULL,
      ${plusOne('interruptions')}, ${plusOne('attempts')},
      error = :error, result = :result, finished_at = ${now}, updated_at = ${now}`,
    where,
    pick: `SELECT id FROM async_tasks WHERE ${where} ORDER BY id LIMIT :batch`,
  }
}

export function requeueLost(d: Dialect): SetWhere {
  const now = NOW[d]
  const where = `status = 'running' AND locked_until < ${now}`
  return {
    set: `status = 'pending', ready = 1, locked_by = NULL, locked_until = NULL, permits = permits & 1,
      ${plusOne('interruptions')}, updated_at = ${now}`,
    where,
    pick: `SELECT id FROM async_tasks WHERE ${where} ORDER BY id LIMIT :batch`,
  }
}

/**
 * The batch statement: the candidates picked, then updated with the
 * condition checked again. PostgreSQL skips rows another worker's upkeep
 * holds. MySQL/MariaDB cannot read the table being updated in a subquery:
 * there the candidates are read first without a lock (`pick`), and written
 * by primary key (`byIdSql`).
 */
export function batchSql(d: Dialect, s: SetWhere): string {
  const lock = d === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''
  return `UPDATE async_tasks SET ${s.set} WHERE id IN (${s.pick}${lock}) AND ${s.where}`
}

/**
 * MySQL/MariaDB: the candidates read by `pick`, written with the condition
 * checked again. An `UPDATE … WHERE <condition> ORDER BY … LIMIT` locks the
 * index records it reads on its way, and under a busy keyed drain (`npm run
 * bench`, sa-mariadb-keys100) the promotion deadlocked with the workers'
 * steps every few seconds though nothing was due. A plain read locks
 * nothing, and when nothing is due (most upkeep rounds) nothing is written.
 */
export const byIdSql = (s: SetWhere): string =>
  `UPDATE async_tasks SET ${s.set} WHERE id IN (:ids) AND ${s.where}`

/** The same for one row. */
export const oneSql = (s: SetWhere): string =>
  `UPDATE async_tasks SET ${s.set} WHERE id = :id AND ${s.where}`
