/**
 * What a worker tells the outside world about each task: one log line in the
 * seed's format, and an event for metrics and alerting. Events carry the task
 * as an AsyncTask, the run time and (for failures) the error; the instance
 * is built only when someone listens.
 */
import type { Logger } from './logger.js'
import { logLine } from './logger.js'
import { labelOf, type TaskRow } from './lifecycle/index.js'
import type { AsyncTask } from './task-model.js'
import { escapeLine } from './terminal-text.js'

/** Events a Worker emits, with their arguments. */
export interface WorkerEvents {
  /** A claimed task is about to run. */
  'task:start': [task: AsyncTask]
  /** A run succeeded and its result is stored. */
  'task:success': [task: AsyncTask, result: unknown, ms: number]
  /** A run failed for good; the error is stored on the task. */
  'task:failure': [task: AsyncTask, error: unknown, ms: number]
  /** A run failed and the task will run again after its backoff. */
  'task:retry': [task: AsyncTask, error: unknown, ms: number]
  /** The run ended with `currentTask().snooze(ms)`: the task runs again after `ms`, no attempt counted. */
  'task:snooze': [task: AsyncTask, ms: number]
  /** The task was cancelled while it ran (`task.cancel()`): whatever the run returned, it ended cancelled. */
  'task:cancel': [task: AsyncTask, ms: number]
  /** The lease was taken over while the task ran; its outcome was discarded. */
  'task:lost': [task: AsyncTask, ms: number]
  /** A database or internal error the worker logged and will retry after. */
  'worker:error': [error: Error]
}

/** How a run's outcome was recorded. */
export type Recorded = 'succeeded' | 'failed' | 'retry' | 'snooze' | 'cancelled' | 'lost'

/** Emits an event if anyone listens; `task` builds the instance only then. */
export interface Announcer {
  listens(event: keyof WorkerEvents): boolean
  emit<E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]): void
}

// Labels and errors come from rows and task code: a log shown on a terminal
// must not carry their control characters (src/terminal-text.ts).
function reason(error: unknown): string {
  if (error instanceof Error) return ` ${escapeLine(`${error.name}: ${error.message}`)}`
  return error === undefined ? '' : ` ${escapeLine(JSON.stringify(error) ?? '')}`
}

export interface Ended {
  row: TaskRow
  recorded: Recorded
  ms: number
  value: unknown
  error: unknown
}

const EVENT = {
  succeeded: 'task:success',
  failed: 'task:failure',
  retry: 'task:retry',
  snooze: 'task:snooze',
  cancelled: 'task:cancel',
  lost: 'task:lost',
} as const

/** Logs the outcome of one run and emits its event. */
export function reportOutcome(
  logger: Logger,
  events: Announcer,
  task: () => AsyncTask,
  { row, recorded, ms, value, error }: Ended,
): void {
  const text = `${row.id}: ${escapeLine(labelOf(row))} (${ms} ms)`
  switch (recorded) {
    case 'succeeded':
      logger.info(logLine('SUCCESS', text))
      break
    case 'failed':
      logger.error(logLine('FAILURE', `${text}${reason(error)}`))
      break
    case 'retry':
      logger.info(
        logLine(
          'RETRY',
          `${text} attempt ${row.attempts + 1} of ${row.maxAttempts}${reason(error)}`,
        ),
      )
      break
    case 'snooze':
      logger.info(logLine('SNOOZE', `${text} runs again later; no attempt counted`))
      break
    case 'cancelled':
      logger.info(logLine('CANCELLED', `${text} cancelled while it ran`))
      break
    case 'lost':
      logger.error(
        logLine('LOST', `${text} lease lost to another worker; this run's outcome was discarded`),
      )
  }
  const event = EVENT[recorded]
  if (!events.listens(event)) return
  if (recorded === 'succeeded') events.emit('task:success', task(), value, ms)
  else if (recorded === 'lost') events.emit('task:lost', task(), ms)
  else if (recorded === 'snooze') events.emit('task:snooze', task(), ms)
  else if (recorded === 'cancelled') events.emit('task:cancel', task(), ms)
  else events.emit(event as 'task:failure' | 'task:retry', task(), error, ms)
}
