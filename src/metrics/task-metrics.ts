/**
 * The counters of one installation in this process: tasks finished per
 * queue and outcome, and a histogram of their run time per queue. Workers
 * add to them as outcomes are stored; `tasks.metrics()` reads them. Per
 * process, as Prometheus expects of counters: each process that runs
 * workers is its own scrape target, and a restart starts them at zero
 * (which `rate()` understands).
 *
 * Adding is a Map lookup by queue, an increment and a scan of the bucket
 * bounds: no allocation once a queue has been seen.
 */
import { AsyncTaskError } from '../errors.js'

/**
 * What became of a run: stored as succeeded, failed, to run again (retry,
 * or snoozed without counting an attempt), cancelled while it ran; or lost
 * with its lease.
 */
export type FinishedOutcome = 'succeeded' | 'failed' | 'retry' | 'snooze' | 'cancelled' | 'lost'

export const OUTCOMES: readonly FinishedOutcome[] = [
  'succeeded',
  'failed',
  'retry',
  'snooze',
  'cancelled',
  'lost',
]

/** Upper bounds of the run-time buckets, in seconds: 5 ms to 5 minutes. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
]

/** One queue's series. */
export interface QueueSeries {
  finished: Record<FinishedOutcome, number>
  /** Runs per bucket (not cumulative); the last one is +Inf. */
  buckets: number[]
  /** Seconds of all runs. */
  sum: number
  count: number
}

/** Checks histogram bounds given to installAsync({ metrics: { buckets } }). */
export function checkBuckets(buckets: unknown): readonly number[] {
  if (buckets === undefined) return DEFAULT_BUCKETS
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every(
      (b, i) =>
        typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]),
    )
  if (!ok) {
    throw new AsyncTaskError(
      'installAsync option metrics.buckets takes increasing positive numbers of seconds, e.g. [0.01, 0.1, 1, 10].',
    )
  }
  return [...(buckets as number[])]
}

export class TaskMetrics {
  readonly queues = new Map<string, QueueSeries>()

  constructor(readonly bounds: readonly number[] = DEFAULT_BUCKETS) {}

  /** A run of `queue` ended `ms` milliseconds after it started, and its outcome was settled. */
  finished(queue: string, outcome: FinishedOutcome, ms: number): void {
    let series = this.queues.get(queue)
    if (!series) {
      series = {
        finished: { succeeded: 0, failed: 0, retry: 0, snooze: 0, cancelled: 0, lost: 0 },
        buckets: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      }
      this.queues.set(queue, series)
    }
    series.finished[outcome]++
    const seconds = ms / 1000
    let i = 0
    while (i < this.bounds.length && seconds > (this.bounds[i] as number)) i++
    ;(series.buckets[i] as number)++
    series.sum += seconds
    series.count++
  }
}
