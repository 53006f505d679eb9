/**
 * What a worker tells the outside world about each task: one log line in the
 * seed's format, and an event for metrics and alerting. Events carry the task
 * row, the run time and (for failures) the error.
 */
import type { Logger } from './logger.js'
import { logLine } from './logger.js'
import type { Recorded } from './outcome.js'
import type { AsyncTask } from './task-model.js'

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
  /** The lease was taken over while the task ran; its outcome was discarded. */
  'task:lost': [task: AsyncTask, ms: number]
  /** A database or internal error the worker logged and will retry after. */
  'worker:error': [error: Error]
}

export type Emit = <E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]) => void

function reason(error: unknown): string {
  if (error instanceof Error) return ` ${error.name}: ${error.message}`
  return error === undefined ? '' : ` ${JSON.stringify(error) ?? ''}`
}

/** Logs the outcome of one run and emits its event. */
export function reportOutcome(
  logger: Logger,
  emit: Emit,
  task: AsyncTask,
  recorded: Recorded,
  ms: number,
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
): void {
  const text = `${task.id}: ${task.label} (${ms} ms)`
  const error = outcome.ok ? undefined : outcome.error
  switch (recorded) {
    case 'succeeded':
      logger.info(logLine('SUCCESS', text))
      emit('task:success', task, outcome.ok ? outcome.value : undefined, ms)
      break
    case 'failed':
      logger.error(logLine('FAILURE', `${text}${reason(error)}`))
      emit('task:failure', task, error, ms)
      break
    case 'retry':
      logger.info(
        logLine(
          'RETRY',
          `${text} attempt ${task.attempts + 1} of ${task.maxAttempts}${reason(error)}`,
        ),
      )
      emit('task:retry', task, error, ms)
      break
    case 'lost':
      logger.error(
        logLine('LOST', `${text} lease lost to another worker; this run's outcome was discarded`),
      )
      emit('task:lost', task, ms)
  }
}
