/**
 * Records how a run ended: success with its result, a retry with backoff, or
 * the final failure with the error. Each write is guarded by the lease
 * (`locked_by` and `status = 'running'`): a worker that lost its lease (it was
 * presumed dead and the task went to another worker) writes nothing, so a
 * task is never finished twice.
 */
import type { Completer } from './batch-finish.js'
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

export async function recordOutcome(
  ctx: Context,
  task: AsyncTask,
  workerId: string,
  outcome: Outcome,
  completer?: Completer,
): Promise<Recorded> {
  const where = { id: task.id, lockedBy: workerId, status: 'running' as const }
  const attempts = task.attempts + 1
  const common = { attempts, lockedBy: null, lockedUntil: null, ready: null }
  let thrown: unknown
  if (outcome.ok) {
    const encoded = encodeResult(outcome.value)
    if (encoded.json !== undefined && completer) {
      return (await completer.succeed(task.id, encoded.json)) ? 'succeeded' : 'lost'
    }
    if (encoded.json !== undefined) {
      const [count] = await ctx.AsyncTask.update(
        {
          ...common,
          status: 'succeeded',
          success: true,
          resultJson: encoded.json,
          finishedAt: new Date(),
        },
        { where },
      )
      return count === 1 ? 'succeeded' : 'lost'
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
  const errorText = `${stored.name}: ${stored.message}`
  if (attempts < task.maxAttempts) {
    const [count] = await ctx.AsyncTask.update(
      {
        ...common,
        status: 'pending',
        ready: 0,
        scheduledAt: new Date(Date.now() + ctx.settings.backoff(attempts)),
        error: errorText,
        attemptErrorsJson: JSON.stringify(history),
      },
      { where },
    )
    return count === 1 ? 'retry' : 'lost'
  }
  const [count] = await ctx.AsyncTask.update(
    {
      ...common,
      status: 'failed',
      success: false,
      resultJson: serialize(errorFromJSON(stored)),
      error: errorText,
      attemptErrorsJson: JSON.stringify(history),
      finishedAt: new Date(),
    },
    { where },
  )
  return count === 1 ? 'failed' : 'lost'
}
