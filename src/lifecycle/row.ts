/**
 * A task as the lifecycle statements return it: a plain object with the
 * AsyncTask attribute names, built straight from the driver's row. The hot
 * path (claim → execute → outcome) works on these; an AsyncTask model
 * instance is built only when user code asks for one.
 */
import type { ModelStatic } from 'sequelize'
import type { AsyncTask, TaskStatus } from '../task-model.js'
import { toDate } from './dialect.js'
import type { Row } from './connection.js'

export interface TaskRow {
  id: number
  objectType: string
  objectId: string | null
  action: string
  argsJson: string
  queue: string
  priority: number
  scheduledAt: Date
  ready: number | null
  status: TaskStatus
  success: boolean | null
  resultJson: string | null
  error: string | null
  attemptErrorsJson: string | null
  attempts: number
  maxAttempts: number
  interruptions: number
  timeoutMs: number | null
  /** The task's unique key (docs/flow-control.md), kept for display. */
  uniqueKey: string | null
  /** The key while it is held (pending, or until finished); null once released. */
  uniqueHold: string | null
  uniqueUntil: 'started' | 'finished' | null
  concurrencyKey: string | null
  concurrencyLimit: number | null
  /** What a task holds: 1 its key's permit (admitted), 2 its queue's (running in a capped queue). */
  permits: number
  /** W3C trace context of the enqueuing span (migration 0005), or null. */
  traceContext: string | null
  /** Progress the running method reported (0–1), and its note (migration 0007). */
  progress: number | null
  progressNote: string | null
  /** Someone asked to cancel it while it runs. */
  cancelRequested: boolean
  /** Other tasks wait on this one (`after`). */
  hasDependents: boolean
  lockedBy: string | null
  lockedUntil: Date | null
  startedAt: Date | null
  finishedAt: Date | null
  createdAt: Date
  updatedAt: Date
}

const num = (v: unknown): number => Number(v)
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const str = (v: unknown): string => String(v)
/** Text columns: a string, or a Buffer from drivers that return binary collations so. */
export function strOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'string') return v
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  return Buffer.isBuffer(v) ? v.toString('utf8') : JSON.stringify(v)
}
const boolOrNull = (v: unknown): boolean | null =>
  v === null || v === undefined ? null : v === true || v === 1 || v === '1' || v === 't'

/** A driver row of async_tasks (column names) as a TaskRow. */
export function fromDb(row: Row): TaskRow {
  return {
    id: num(row.id),
    objectType: str(row.object_type),
    objectId: strOrNull(row.object_id),
    action: str(row.action),
    argsJson: strOrNull(row.args) ?? 'null',
    queue: str(row.queue),
    priority: num(row.priority),
    scheduledAt: toDate(row.scheduled_at) as Date,
    ready: numOrNull(row.ready),
    status: str(row.status) as TaskStatus,
    success: boolOrNull(row.success),
    resultJson: strOrNull(row.result),
    error: strOrNull(row.error),
    attemptErrorsJson: strOrNull(row.attempt_errors),
    attempts: num(row.attempts),
    maxAttempts: num(row.max_attempts),
    interruptions: num(row.interruptions),
    timeoutMs: numOrNull(row.timeout_ms),
    uniqueKey: strOrNull(row.unique_key),
    uniqueHold: strOrNull(row.unique_hold),
    uniqueUntil: strOrNull(row.unique_until) as TaskRow['uniqueUntil'],
    concurrencyKey: strOrNull(row.concurrency_key),
    concurrencyLimit: numOrNull(row.concurrency_limit),
    permits: Number(row.permits ?? 0),
    traceContext: strOrNull(row.trace_context),
    progress: numOrNull(row.progress),
    progressNote: strOrNull(row.progress_note),
    cancelRequested: Number(row.cancel_requested ?? 0) === 1,
    hasDependents: Number(row.has_dependents ?? 0) === 1,
    lockedBy: strOrNull(row.locked_by),
    lockedUntil: toDate(row.locked_until),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    createdAt: toDate(row.created_at) as Date,
    updatedAt: toDate(row.updated_at) as Date,
  }
}

/** `Order(17)#sendConfirmationEmail`, as log lines name a task. */
export function labelOf(row: Pick<TaskRow, 'objectType' | 'objectId' | 'action'>): string {
  const target = row.objectId === null ? row.objectType : `${row.objectType}(${row.objectId})`
  return `${target}#${row.action}`
}

/** The AsyncTask instance of a row, for user code (events, currentTask(), the API). */
export function toInstance(model: ModelStatic<AsyncTask>, row: TaskRow): AsyncTask {
  return model.build(row, { isNewRecord: false, raw: true })
}

/** Orders claimed rows as the claim picks them: priority, then time, then id. */
export function byClaimOrder(a: TaskRow, b: TaskRow): number {
  return b.priority - a.priority || a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.id - b.id
}
