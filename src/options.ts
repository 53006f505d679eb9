/**
 * Options of `async()` / `schedule()` and their checks. Every check names the
 * option, what it got and what it takes, and runs before anything is stored.
 */
import type { Transaction } from 'sequelize'
import { describe } from './describe.js'
import { EnqueueError } from './errors.js'

export { describe }
import { FLOW_OPTIONS, type FlowOptions } from './flow-options.js'

/** Options of `async()` and `schedule()`; `A` is the method's parameter list. */
export interface EnqueueOptions<A extends unknown[] = unknown[]> extends FlowOptions {
  /** Arguments for the method, stored as tagged JSON. */
  args?: A
  /** Higher runs first. Default 10 (`schedule()`: 20). */
  priority?: number
  /** Not before this time. Default: now. */
  scheduledAt?: Date
  /** Queue name. Default `'default'`. */
  queue?: string
  /** Enqueue inside this transaction: workers see the task only once it commits. */
  transaction?: Transaction | null
  /** Runs in all before the task fails for good. Default from installAsync (1: no retry). */
  maxAttempts?: number
  /** Milliseconds one run may take before it fails with a TimeoutError. */
  timeout?: number
  /**
   * Runs only once these tasks (or task ids) have all succeeded; cancelled
   * with a DependencyError when one fails for good or is cancelled.
   */
  after?: TaskRef | TaskRef[]
}

/** A task, or its id, as `after` takes it. */
export type TaskRef = number | { id: number }

/** Most parents one task may wait on. */
export const MAX_PARENTS = 1000

export interface CheckedOptions {
  priority: number
  scheduledAt: Date | undefined
  queue: string
  transaction: Transaction | null | undefined
  maxAttempts: number
  timeoutMs: number | null
  /** Parents' ids (`after`), in order, without repeats. */
  after: number[]
}

const KNOWN = new Set([
  'args',
  'priority',
  'scheduledAt',
  'queue',
  'transaction',
  'maxAttempts',
  'timeout',
  'after',
  ...FLOW_OPTIONS,
])

function fail(message: string): never {
  throw new EnqueueError(message)
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(`Option ${name} must be an integer from ${min} to ${max}; got ${describe(value)}.`)
  }
  return value
}

export function checkOptions(
  options: EnqueueOptions,
  defaults: { priority: number; maxAttempts: number },
): CheckedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    fail(
      `The options of async() must be an object like { args: [...], priority: 12 }; got ${describe(options)}.`,
    )
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) fail(`Unknown option "${key}". Known options: ${[...KNOWN].join(', ')}.`)
  }
  const { scheduledAt, queue = 'default' } = options
  if (
    scheduledAt !== undefined &&
    (!(scheduledAt instanceof Date) || Number.isNaN(scheduledAt.getTime()))
  ) {
    fail(`Option scheduledAt must be a valid Date; got ${describe(scheduledAt)}.`)
  }
  if (typeof queue !== 'string' || !/^[\w.:-]{1,100}$/.test(queue)) {
    fail(
      `Option queue must be a name of 1 to 100 letters, digits, _ . : or -; got ${describe(queue)}.`,
    )
  }
  return {
    priority: integer('priority', options.priority ?? defaults.priority, -1_000_000, 1_000_000),
    scheduledAt,
    queue,
    transaction: options.transaction,
    maxAttempts: integer('maxAttempts', options.maxAttempts ?? defaults.maxAttempts, 1, 1000),
    timeoutMs:
      options.timeout === undefined ? null : integer('timeout', options.timeout, 1, 2_147_483_647),
    after: parentsOf(options.after),
  }
}

function parentsOf(after: unknown): number[] {
  if (after === undefined || after === null) return []
  const list = Array.isArray(after) ? (after as unknown[]) : [after]
  if (list.length > MAX_PARENTS)
    fail(
      `Option after takes at most ${MAX_PARENTS} tasks; got ${list.length}. Chain a summary task instead.`,
    )
  const ids: number[] = []
  for (const item of list) {
    const id: unknown =
      item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : item
    const n = typeof id === 'string' && /^\d{1,15}$/.test(id) ? Number(id) : id
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      fail(
        `Option after takes tasks (as async() resolves them) or their ids; got ${describe(item)}. Await the parent's async() first.`,
      )
    }
    if (!ids.includes(n)) ids.push(n)
  }
  return ids
}
