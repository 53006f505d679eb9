/**
 * A running task's live columns, written beside its lease:
 *
 * - progress: the method's own report (0–1 and a note), guarded like an
 *   outcome (`locked_by` = this worker, still running) so a late write of a
 *   run that lost its lease or already ended changes nothing;
 * - cancel requested: `task.cancel()` on a running task sets a flag; the
 *   worker reads it with its heartbeat and aborts the run's signal, and the
 *   outcome write turns whatever the run ends with into `cancelled`
 *   (complete.ts);
 * - watched: `task.wait()` marks the task so that, on PostgreSQL, the worker
 *   that ends it sends a NOTIFY on the channel waiters listen to.
 */
import { inList, isMysql, NOW, type Dialect } from './dialect.js'

export const FINISHED_CHANNEL = 'sequelize_async_finished'

export const progressSql = (d: Dialect): string =>
  `UPDATE async_tasks SET progress = :progress, progress_note = :note, updated_at = ${NOW[d]}
   WHERE id = :id AND status = 'running' AND locked_by = :workerId`

export const requestCancelSql = (d: Dialect): string =>
  `UPDATE async_tasks SET cancel_requested = 1, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status = 'running'`

export const watchSql = 'UPDATE async_tasks SET watched = 1 WHERE id = :id AND watched = 0'

/** The heartbeat's answer: which of the renewed tasks someone asked to cancel. */
export const cancelRequestedSql = (d: Dialect): string | null =>
  isMysql(d)
    ? `SELECT id FROM async_tasks WHERE id IN (:ids) AND cancel_requested = 1 AND locked_by = :workerId`
    : null
