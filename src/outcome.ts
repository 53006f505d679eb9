/**
 * Records how a run ended: success with its result, a retry with backoff, or
 * the final failure with the error. Each write is guarded by the lease
 * (`locked_by` and `status = 'running'`): a worker that lost its lease (it was
 * presumed dead and the task went to another worker) writes nothing, so a
 * task is never finished twice.
 */
import { QueryTypes } from 'sequelize'
import { affectedRows } from './affected-rows.js'
import type { Completer } from './batch-finish.js'
import { clock, sqlDate } from './claim/clock.js'
import type { Context } from './context.js'
import type { Outcome } from './executor.js'
import { serialize } from './serializer.js'
import { thrownToJSON } from './stored-error.js'
import type { AsyncTask, AttemptError } from './task-model.js'
import { errorFromJSON } from './stored-error.js'

export type Recorded = 'succeeded' | 'failed' | 'retry' | 'lost'

function encodeResult(
  value: unknown,
): { json: string; error?: undefined } | { json?: undefined; error: Error } {
  try {
    return { json: serialize(value, 'the return value') }
  } catch (err) {
    return { error: err as Error }
  }
}

/**
 * One raw UPDATE per outcome, guarded by the lease. Raw rather than
 * `AsyncTask.update`: this runs once per task, and the model path (query
 * building, validation, hooks) cost more CPU than the statement itself.
 * Times come from the database's clock (claim/clock.ts).
 */
async function finish(
  ctx: Context,
  task: AsyncTask,
  workerId: string,
  set: string,
  values: Record<string, unknown>,
  startedAt: Date | undefined,
): Promise<boolean> {
  const c = clock(ctx, 0)
  const started = startedAt ? ', started_at = :startedAt' : ''
  const sql = `UPDATE async_tasks
    SET ${set}${started}, attempts = :attempts, locked_by = NULL, locked_until = NULL, updated_at = %NOW%
    WHERE id = :id AND locked_by = :workerId AND status = 'running'`
  const [, meta] = await ctx.sequelize.query(sql.replaceAll('%NOW%', c.now), {
    type: QueryTypes.UPDATE,
    replacements: {
      ...c.replacements,
      ...values,
      startedAt: startedAt && sqlDate(ctx, startedAt),
      attempts: task.attempts + 1,
      id: task.id,
      workerId,
    },
  })
  return affectedRows(meta) === 1
}

const SUCCEEDED = `status = 'succeeded', success = :true, ready = NULL, result = :result,
  finished_at = %NOW%`
const RETRY = `status = 'pending', ready = 0, scheduled_at = :scheduledAt, error = :error,
  attempt_errors = :attemptErrors`
const FAILED = `status = 'failed', success = :false, ready = NULL, result = :result,
  error = :error, attempt_errors = :attemptErrors, finished_at = %NOW%`

export async function recordOutcome(
  ctx: Context,
  task: AsyncTask,
  workerId: string,
  outcome: Outcome,
  { completer, startedAt }: { completer?: Completer; startedAt?: Date } = {},
): Promise<Recorded> {
  const attempts = task.attempts + 1
  let thrown: unknown
  if (outcome.ok) {
    const encoded = encodeResult(outcome.value)
    if (encoded.json !== undefined && completer) {
      return (await completer.succeed(task.id, encoded.json, startedAt)) ? 'succeeded' : 'lost'
    }
    if (encoded.json !== undefined) {
      const owned = await finish(
        ctx,
        task,
        workerId,
        SUCCEEDED,
        {
          true: true,
          result: encoded.json,
        },
        startedAt,
      )
      return owned ? 'succeeded' : 'lost'
    }
    thrown = encoded.error
  } else {
    thrown = outcome.error
  }
  const stored = thrownToJSON(thrown)
  const history: AttemptError[] = [
    ...task.attemptErrors,
    { ...stored, attempt: attempts, at: new Date().toISOString() },
  ]
  const failure = {
    error: `${stored.name}: ${stored.message}`,
    attemptErrors: JSON.stringify(history),
  }
  if (attempts < task.maxAttempts) {
    const owned = await finish(
      ctx,
      task,
      workerId,
      RETRY,
      {
        ...failure,
        scheduledAt: sqlDate(ctx, new Date(Date.now() + ctx.settings.backoff(attempts))),
      },
      startedAt,
    )
    return owned ? 'retry' : 'lost'
  }
  const owned = await finish(
    ctx,
    task,
    workerId,
    FAILED,
    {
      ...failure,
      false: false,
      result: serialize(errorFromJSON(stored)),
    },
    startedAt,
  )
  return owned ? 'failed' : 'lost'
}
