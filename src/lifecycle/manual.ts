/**
 * Transitions an operator or the app asks for (AsyncTask#cancel/#retry, the
 * dashboard, `script/async`): each checks the state it starts from in its
 * WHERE clause, so a task that changed meanwhile (claimed, finished) is
 * refused, never clobbered.
 *
 * - cancel: pending → cancelled.
 * - retry: failed | cancelled → pending and due, with one more attempt
 *   allowed if none is left; earlier attempts' errors are kept.
 * - remove: any state but running → gone (a running task belongs to its
 *   worker until it ends).
 * - prune: finished past retention → gone, in batches by primary key.
 */
import { inList, NOW, type Dialect } from './dialect.js'

const INT_MAX = 2147483647

export const cancelSql = (d: Dialect): string =>
  `UPDATE async_tasks SET status = 'cancelled', ready = NULL, finished_at = ${NOW[d]}, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status = 'pending'`

export const retrySql = (d: Dialect): string =>
  `UPDATE async_tasks
   SET status = 'pending', ready = 1, success = NULL, scheduled_at = ${NOW[d]}, finished_at = NULL,
       max_attempts = CASE WHEN attempts < max_attempts THEN max_attempts
                           WHEN attempts < ${INT_MAX} THEN attempts + 1 ELSE attempts END,
       interruptions = 0, locked_by = NULL, locked_until = NULL, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status IN ('failed', 'cancelled')`

export const removeSql = (d: Dialect): string =>
  `DELETE FROM async_tasks WHERE ${inList(d, 'id', 'ids')} AND status <> 'running'`

/** The next ids with a status, after a cursor: batches that end whatever the rows hold. */
export const idsAfterSql = `SELECT id FROM async_tasks WHERE status = :status AND id > :after
  ORDER BY id LIMIT :batch`

/** Finished tasks of one outcome older than the cutoff (the status index). */
export const expiredSql = `SELECT id FROM async_tasks WHERE status = :status AND finished_at < :cutoff
  LIMIT :batch`

export const deleteSql = (d: Dialect): string =>
  `DELETE FROM async_tasks WHERE ${inList(d, 'id', 'ids')} AND status = :status`
