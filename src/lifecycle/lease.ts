/**
 * The lease of running tasks: heartbeat (running → running, lease renewed)
 * and release (running → pending, handed back unfinished, not a failure:
 * shutdown, or tasks claimed ahead and never started). Both are guarded by
 * `locked_by`, so a worker only ever touches its own tasks. A released task
 * stays due and keeps its key's permit (keys.ts).
 */
import { inList, later, NOW, type Dialect } from './dialect.js'

/**
 * Renews the leases of the tasks this worker knows it holds, by id: a claim
 * whose answer never reached the worker (connection lost after commit) is
 * not renewed, so its lease runs out and rescue hands the task on.
 */
export const heartbeatSql = (d: Dialect): string =>
  `UPDATE async_tasks SET locked_until = ${later(d, 'lease')}
   WHERE ${inList(d, 'id', 'ids')} AND status = 'running' AND locked_by = :workerId${
     d === 'mysql' || d === 'mariadb' ? '' : ' RETURNING id, cancel_requested'
   }`

/** Hands tasks back to other workers as they were before the claim. */
export const releaseSql = (d: Dialect): string =>
  `UPDATE async_tasks
   SET status = 'pending', ready = 1, locked_by = NULL, locked_until = NULL,
       permits = permits & 1, updated_at = ${NOW[d]}
   WHERE status = 'running' AND locked_by = :workerId AND ${inList(d, 'id', 'ids')}`

/** What the tasks to release hold, read and locked first: their queue permits. */
export const heldByWorkerSql = (d: Dialect): string =>
  `SELECT id, queue, permits FROM async_tasks
   WHERE ${inList(d, 'id', 'ids')} AND status = 'running' AND locked_by = :workerId${d === 'sqlite' ? '' : ' FOR UPDATE'}`
