/**
 * cancel, for a destroyed record: its pending tasks (scheduled, due, or
 * blocked behind a concurrency key) → cancelled, with the reason stored as
 * the task's error, inside the transaction of the destroy when there is one
 * (so a destroy that rolls back leaves them pending). Running tasks are not
 * touched: their worker meets RecordNotFoundError, or finishes first.
 *
 * The rows are read (and locked, but on SQLite, whose write lock is whole)
 * first by the object index, for the permits they free; then cancelled by
 * id with the same state check as cancelSql, so a task claimed in between
 * stays running.
 */
import { inList, NOW, type Dialect } from './dialect.js'

/** The pending tasks of records of one model (`:objectIds`, text), with what they hold. */
export const pendingOfRecordsSql = (d: Dialect): string =>
  `SELECT id, object_id, status, concurrency_key, permits FROM async_tasks
   WHERE object_type = :objectType
     AND ${d === 'postgres' ? 'object_id = ANY(:objectIds::text[])' : 'object_id IN (:objectIds)'}
     AND status = 'pending'${d === 'sqlite' ? '' : ' FOR UPDATE'}`

export const cancelWithReasonSql = (d: Dialect): string =>
  `UPDATE async_tasks SET status = 'cancelled', ready = NULL, unique_hold = NULL, permits = 0,
       error = :reason, finished_at = ${NOW[d]}, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status = 'pending'`
