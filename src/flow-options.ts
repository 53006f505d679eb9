/**
 * The flow-control options of `async()` (docs/flow-control.md): `unique`,
 * `uniqueUntil`, `concurrencyKey`, `concurrencyLimit`, checked before
 * anything is stored, and the keys they stand for.
 *
 * - `unique: true` is the target, the record, the method and the arguments:
 *   `Order(17)#syncToCrm:<hash of the arguments>`, so a second call with the
 *   same arguments finds the first; a string is that key.
 * - `concurrencyKey: true` is the record (`Order(17)`), or the model or
 *   registered class for a static method: one `syncToCrm` per order at a
 *   time, whatever the method or its arguments.
 */
import { createHash } from 'node:crypto'
import { EnqueueError } from './errors.js'
import { describe } from './describe.js'

/** The flow-control options of `async()` and `schedule()`. */
export interface FlowOptions {
  /**
   * At most one pending task with this key: a second enqueue creates nothing
   * and resolves to the task that holds the key. `true`: the target, record,
   * method and arguments.
   */
  unique?: boolean | string
  /** Hold the unique key until the task starts (default), or until it finishes. */
  uniqueUntil?: 'started' | 'finished'
  /** At most `concurrencyLimit` tasks with this key run at once, over all workers. `true`: the record. */
  concurrencyKey?: boolean | string
  /** Default 1. */
  concurrencyLimit?: number
}

export interface FlowKeys {
  uniqueKey: string | null
  uniqueUntil: 'started' | 'finished' | null
  concurrencyKey: string | null
  concurrencyLimit: number | null
}

export const FLOW_OPTIONS = ['unique', 'uniqueUntil', 'concurrencyKey', 'concurrencyLimit']

const MAX_KEY = 255
// A key is shown in logs, on the dashboard and in the terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

function keyOption(name: string, value: unknown): true | string | null {
  if (value === undefined || value === false || value === null) return null
  if (value === true) return true
  if (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_KEY &&
    !CONTROL.test(value)
  )
    return value
  throw new EnqueueError(
    `Option ${name} must be true or a key of 1 to ${MAX_KEY} printable characters; got ${describe(value)}.`,
  )
}

/** Checks the flow-control options and computes their keys for a task. */
export function flowKeys(
  options: FlowOptions,
  task: { objectType: string; objectId: string | null; action: string; argsJson: string },
): FlowKeys {
  const unique = keyOption('unique', options.unique)
  const concurrency = keyOption('concurrencyKey', options.concurrencyKey)
  const { uniqueUntil, concurrencyLimit } = options
  if (uniqueUntil !== undefined && uniqueUntil !== 'started' && uniqueUntil !== 'finished')
    throw new EnqueueError(
      `Option uniqueUntil must be 'started' or 'finished'; got ${JSON.stringify(uniqueUntil)}.`,
    )
  if (uniqueUntil !== undefined && unique === null)
    throw new EnqueueError('Option uniqueUntil needs unique: true or a key.')
  if (concurrencyLimit !== undefined) {
    if (
      !Number.isSafeInteger(concurrencyLimit) ||
      concurrencyLimit < 1 ||
      concurrencyLimit > 1_000_000
    )
      throw new EnqueueError(
        `Option concurrencyLimit must be an integer from 1 to 1000000; got ${String(concurrencyLimit)}.`,
      )
    if (concurrency === null)
      throw new EnqueueError('Option concurrencyLimit needs concurrencyKey: true or a key.')
  }
  const target = task.objectId === null ? task.objectType : `${task.objectType}(${task.objectId})`
  return {
    uniqueKey: unique === true ? taskKey(target, task) : unique,
    uniqueUntil: unique === null ? null : (uniqueUntil ?? 'started'),
    concurrencyKey: concurrency === true ? target.slice(0, MAX_KEY) : concurrency,
    concurrencyLimit: concurrency === null ? null : (concurrencyLimit ?? 1),
  }
}

/** `Order(17)#syncToCrm:<24 hex of a hash of all four parts>`, at most 255 characters. */
function taskKey(
  target: string,
  task: { objectType: string; objectId: string | null; action: string; argsJson: string },
): string {
  const hash = createHash('sha256')
    .update(
      `${task.objectType}\u0000${task.objectId ?? ''}\u0000${task.action}\u0000${task.argsJson}`,
    )
    .digest('hex')
    .slice(0, 24)
  return `${`${target}#${task.action}`.slice(0, MAX_KEY - 25)}:${hash}`
}
