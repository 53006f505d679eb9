/**
 * How a run ended, as the lifecycle stores it: success with its result, a
 * retry with its backoff, or the final failure with the rebuilt error. What
 * is stored always fits its column: messages, stacks and the attempt
 * history are capped with a visible marker, a return value larger than
 * `maxPayloadBytes` fails the run with an error that says so, and a corrupt
 * stored history is replaced (and said to be) instead of failing the write.
 */
import type { Context } from './context.js'
import { SerializationError } from './errors.js'
import type { Outcome } from './executor.js'
import type { Finished, TaskRow } from './lifecycle/index.js'
import { serialize } from './serializer.js'
import { errorFromJSON, thrownToJSON, type StoredError } from './stored-error.js'
import type { AttemptError } from './task-model.js'

/** Longest kept message and stack, in characters. */
export const MAX_MESSAGE = 8_192
export const MAX_STACK = 16_384
/** The `error` column: `Name: message`. */
const MAX_ERROR_LINE = 4_000
/** Attempts kept in the history (the oldest are dropped, and the first kept entry says so). */
export const MAX_HISTORY = 25

/** `text` cut to `max` characters, ending with a marker that says how much was cut. */
export function cap(text: string, max: number): string {
  if (text.length <= max) return text
  return `${text.slice(0, max)}… [${text.length - max} more characters cut]`
}

function capped(stored: StoredError, depth = 0): StoredError {
  const out: StoredError = { ...stored, name: cap(String(stored.name), 200) }
  out.message = cap(String(stored.message), MAX_MESSAGE)
  if (stored.stack !== undefined) out.stack = cap(String(stored.stack), MAX_STACK)
  if (stored.cause && depth < 3) out.cause = capped(stored.cause, depth + 1)
  else delete out.cause
  return out
}

/** The stored history, or one entry saying it could not be read. */
function history(row: TaskRow): AttemptError[] {
  if (!row.attemptErrorsJson) return []
  try {
    const parsed: unknown = JSON.parse(row.attemptErrorsJson)
    if (Array.isArray(parsed)) return parsed as AttemptError[]
  } catch {
    // fall through
  }
  return [
    {
      name: 'CorruptHistory',
      message: 'The stored errors of earlier attempts could not be read; they were replaced.',
      attempt: 0,
      at: new Date().toISOString(),
    },
  ]
}

function keepRecent(entries: AttemptError[]): AttemptError[] {
  if (entries.length <= MAX_HISTORY) return entries
  const dropped = entries.length - MAX_HISTORY + 1
  return [
    {
      name: 'HistoryCut',
      message: `${dropped} earlier attempt(s) not kept (the history keeps the last ${MAX_HISTORY - 1}).`,
      attempt: 0,
      at: new Date().toISOString(),
    },
    ...entries.slice(-(MAX_HISTORY - 1)),
  ]
}

/** The return value as tagged JSON, or the error that fails the run instead. */
function encodeResult(ctx: Context, value: unknown): { json: string } | { error: Error } {
  try {
    const json = serialize(value, 'the return value')
    const bytes = Buffer.byteLength(json)
    if (bytes > ctx.settings.maxPayloadBytes) {
      return {
        error: new SerializationError(
          `The return value takes ${bytes} bytes, more than maxPayloadBytes (${ctx.settings.maxPayloadBytes}). Store large results elsewhere and return their id.`,
        ),
      }
    }
    return { json }
  } catch (err) {
    return { error: err as Error }
  }
}

/** The lifecycle's record of a run; `error` is what a failed or retried run threw. */
export function finishRun(
  ctx: Context,
  row: TaskRow,
  outcome: Outcome,
  startedAt: Date | null,
): { finished: Finished; error: unknown } {
  const base = {
    id: row.id,
    startedAt,
    delayMs: 0,
    concurrencyKey: row.concurrencyKey,
    concurrencyLimit: row.concurrencyLimit,
    queue: row.queue,
    permits: row.permits,
  }
  let thrown: unknown
  if ('snooze' in outcome) {
    const finished: Finished = {
      ...base,
      kind: 'snooze',
      resultJson: null,
      error: null,
      historyJson: null,
      delayMs: outcome.snooze,
    }
    return { finished, error: undefined }
  }
  if (outcome.ok) {
    const encoded = encodeResult(ctx, outcome.value)
    if ('json' in encoded) {
      const finished: Finished = {
        ...base,
        kind: 'succeeded',
        resultJson: encoded.json,
        error: null,
        historyJson: null,
      }
      return { finished, error: undefined }
    }
    thrown = encoded.error
  } else {
    thrown = outcome.error
  }
  const attempt = row.attempts + 1
  const stored = capped(thrownToJSON(thrown))
  const entries = keepRecent([
    ...history(row),
    { ...stored, attempt, at: new Date().toISOString() },
  ])
  const failure = {
    ...base,
    error: cap(`${stored.name}: ${stored.message}`, MAX_ERROR_LINE),
    historyJson: JSON.stringify(entries),
  }
  if (attempt < row.maxAttempts) {
    const delayMs = Math.max(0, ctx.settings.backoff(attempt))
    return { finished: { ...failure, kind: 'retry', resultJson: null, delayMs }, error: thrown }
  }
  const resultJson = serialize(errorFromJSON(stored))
  return { finished: { ...failure, kind: 'failed', resultJson }, error: thrown }
}

/** The write of last resort for a run whose outcome the database refused: failed, with why. */
export function unstorable(row: TaskRow, dbError: unknown, startedAt: Date | null): Finished {
  const reason = dbError instanceof Error ? dbError.message : String(dbError)
  const message = cap(
    `The outcome of this run could not be stored (${reason}); the task is ended as failed. Check the row's stored values and the column sizes (docs/bad-input.md).`,
    MAX_MESSAGE,
  )
  const error = new SerializationError(message)
  return {
    id: row.id,
    kind: 'failed',
    resultJson: serialize(error),
    error: cap(`${error.name}: ${message}`, MAX_ERROR_LINE),
    historyJson: null,
    delayMs: 0,
    startedAt,
    concurrencyKey: row.concurrencyKey,
    concurrencyLimit: row.concurrencyLimit,
    queue: row.queue,
    permits: row.permits,
  }
}
