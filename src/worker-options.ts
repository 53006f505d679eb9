/** Options of `tasks.createWorker()` and their checks. */
import { AsyncTaskError } from './errors.js'

export interface WorkerOptions {
  /** Tasks run at once. Default 1. */
  concurrency?: number
  /** Milliseconds between looks for work when idle. Default 1000. */
  pollInterval?: number
  /** Queues in order of precedence; `'*'` for all. Default `['default']`. */
  queues?: string[]
  /** Milliseconds `stop()` waits for running tasks before releasing them. Default 30000. */
  shutdownTimeout?: number
  /** Worker id written to `locked_by`. Default `host:pid:random`. */
  name?: string
  /** Shown to operators (e.g. the `--uid` of script/async daemons). */
  uid?: string | number
  /** Lease length in ms; default from installAsync. */
  leaseMs?: number
  /** Use PostgreSQL LISTEN/NOTIFY to wake up. Default true. */
  listen?: boolean
  /**
   * At most one outcome write in flight, so outcomes that end together wait
   * for it and go in one statement (the largest groups, fewest commits).
   * Default false: up to two writes in flight on PostgreSQL and
   * MySQL/MariaDB (outcomes still group while both are busy), one on SQLite.
   */
  batchCompletions?: boolean
  /**
   * Tasks to claim ahead of free slots and hold, leased, in the worker: a
   * finishing task hands its slot to the next at once, and one claim serves
   * many tasks. Released at shutdown like running tasks. Default 0.
   */
  prefetch?: number
  /**
   * Milliseconds between cheap looks (an index-only read, no lock) for due
   * work while idle, so a task is noticed sooner than the next poll. 0 turns
   * it off. Default 100, or 0 on PostgreSQL when LISTEN/NOTIFY wakes the worker.
   */
  probeInterval?: number
}

export interface ResolvedWorkerOptions {
  concurrency: number
  pollInterval: number
  queues: string[]
  shutdownTimeout: number
  name: string | undefined
  uid: string | null
  leaseMs: number
  listen: boolean
  batchCompletions: boolean
  prefetch: number
  /** Undefined: the worker chooses (see WorkerOptions.probeInterval). */
  probeInterval: number | undefined
  upkeepInterval: number
}

function positive(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new AsyncTaskError(
      `Worker option ${name} must be a positive integer; got ${String(value)}.`,
    )
  }
  return v
}

function nonNegative(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new AsyncTaskError(
      `Worker option ${name} must be an integer of 0 or more; got ${JSON.stringify(value)}.`,
    )
  }
  return value
}

export function resolveWorkerOptions(
  options: WorkerOptions,
  leaseMs: number,
): ResolvedWorkerOptions {
  const queues = options.queues ?? ['default']
  if (
    !Array.isArray(queues) ||
    queues.length === 0 ||
    queues.some((q) => typeof q !== 'string' || q === '')
  ) {
    throw new AsyncTaskError(
      `Worker option queues must be a non-empty list of queue names (or ['*']).`,
    )
  }
  const pollInterval = positive('pollInterval', options.pollInterval, 1000)
  return {
    concurrency: positive('concurrency', options.concurrency, 1),
    pollInterval,
    queues,
    shutdownTimeout: positive('shutdownTimeout', options.shutdownTimeout, 30_000),
    name: options.name,
    uid: options.uid === undefined ? null : String(options.uid),
    leaseMs: positive('leaseMs', options.leaseMs, leaseMs),
    listen: options.listen ?? true,
    batchCompletions: options.batchCompletions ?? false,
    prefetch: nonNegative('prefetch', options.prefetch) ?? 0,
    probeInterval: nonNegative('probeInterval', options.probeInterval),
    upkeepInterval: Math.min(pollInterval, 1000),
  }
}
