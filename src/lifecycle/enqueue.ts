/**
 * enqueue: nothing → pending. One INSERT; `ready` says whether the task is
 * due now (1: straight into the claim index) or scheduled (0: promotion
 * makes it due, against the database's clock). Inside the app's transaction
 * when it passes one, so workers see the task only once that commits.
 *
 * The id comes back with the statement itself: `RETURNING id` on
 * PostgreSQL, the driver's last-insert id on MySQL/MariaDB and SQLite.
 */
import type { Dialect } from './dialect.js'

/** What an enqueue writes; the rest of the row takes its initial value. */
export interface NewTask {
  objectType: string
  objectId: string | null
  action: string
  argsJson: string
  queue: string
  priority: number
  scheduledAt: Date
  ready: 0 | 1
  maxAttempts: number
  timeoutMs: number | null
  /** W3C traceparent (and tracestate) of the enqueuing span; null unless tracing is on. */
  traceContext: string | null
}

const INSERT = `INSERT INTO async_tasks
  (object_type, object_id, action, args, queue, priority, scheduled_at, ready, status,
   attempts, max_attempts, interruptions, timeout_ms, trace_context, created_at, updated_at)
  VALUES (:objectType, :objectId, :action, :argsJson, :queue, :priority, :scheduledAt, :ready,
   'pending', 0, :maxAttempts, 0, :timeoutMs, :traceContext, :now, :now)`

export const insertSql = (d: Dialect): string =>
  d === 'postgres' ? `${INSERT} RETURNING id` : INSERT
