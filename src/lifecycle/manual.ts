/**
 * Transitions an operator or the app asks for (AsyncTask#cancel/#retry, the
 * dashboard, `script/async`): each checks the state it starts from in its
 * WHERE clause, so a task that changed meanwhile (claimed, finished) is
 * refused, never clobbered.
 *
 * - cancel: pending → cancelled; its unique key and its key's permit are
 *   freed.
 * - retry: failed | cancelled → pending and due (blocked, if it has a
 *   concurrency key, until admitted; waiting again, if it runs after other
 *   tasks, until they are decided), with one more attempt allowed if none
 *   is left; earlier attempts' errors are kept. The unique key is not taken
 *   again: another task may hold it by now.
 * - remove: any state but running → gone (a running task belongs to its
 *   worker until it ends); its key's permit is freed.
 * - prune: finished past retention → gone, in batches by primary key; a
 *   parent whose children still wait or run stays until they end (they
 *   read its result), and the dependency rows go with the tasks.
 */
import { inList, NOW, type Dialect } from './dialect.js'

const INT_MAX = 2147483647

export const cancelSql = (d: Dialect): string =>
  `UPDATE async_tasks SET status = 'cancelled', ready = NULL, unique_hold = NULL, permits = 0,
       finished_at = ${NOW[d]}, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status = 'pending'`

export const retrySql = (d: Dialect): string =>
  `UPDATE async_tasks
   SET status = 'pending',
       ready = CASE WHEN EXISTS (SELECT 1 FROM async_dependencies d WHERE d.task_id = async_tasks.id) THEN 3
                    WHEN concurrency_key IS NULL THEN 1 ELSE 2 END,
       success = NULL, cancel_requested = 0, progress = NULL, progress_note = NULL, scheduled_at = ${NOW[d]}, finished_at = NULL, permits = 0,
       max_attempts = CASE WHEN attempts < max_attempts THEN max_attempts
                           WHEN attempts < ${INT_MAX} THEN attempts + 1 ELSE attempts END,
       interruptions = 0, locked_by = NULL, locked_until = NULL, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND status IN ('failed', 'cancelled')`

export const removeSql = (d: Dialect): string =>
  `DELETE FROM async_tasks WHERE ${inList(d, 'id', 'ids')} AND status <> 'running'`

/** What the rows to cancel or remove hold, read (and locked) before: the permits they free. */
export const heldSql = (d: Dialect): string =>
  `SELECT id, status, concurrency_key, permits FROM async_tasks WHERE ${inList(d, 'id', 'ids')}${d === 'sqlite' ? '' : ' FOR UPDATE'}`

/** The keys of tasks (retried ones, to admit). */
export const keysOfSql = (d: Dialect): string =>
  `SELECT DISTINCT concurrency_key FROM async_tasks
   WHERE ${inList(d, 'id', 'ids')} AND concurrency_key IS NOT NULL`

/** The next ids with a status, after a cursor: batches that end whatever the rows hold. */
export const idsAfterSql = `SELECT id FROM async_tasks WHERE status = :status AND id > :after
  ORDER BY id LIMIT :batch`

/** Finished tasks of one outcome older than the cutoff (the status index). */
export const expiredSql = `SELECT id FROM async_tasks WHERE status = :status AND finished_at < :cutoff
  AND (has_dependents = 0 OR NOT EXISTS (
    SELECT 1 FROM async_dependencies d JOIN async_tasks c ON c.id = d.task_id
    WHERE d.parent_id = async_tasks.id AND c.status IN ('pending', 'running')))
  LIMIT :batch`

export const deleteSql = (d: Dialect): string =>
  `DELETE FROM async_tasks WHERE ${inList(d, 'id', 'ids')} AND status = :status`
