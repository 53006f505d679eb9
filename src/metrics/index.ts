/**
 * `tasks.metrics()`: the Prometheus text exposition of an installation.
 * Counters and the run-time histogram are this process's (task-metrics.ts);
 * queue depth, the age of the oldest due task and the live workers are read
 * from the database at scrape time (queue-gauges.ts), so every scrape target
 * reports the same values for those.
 */
import type { Context } from '../context.js'
import { exposition, formatValue, type Family, type Sample } from './exposition.js'
import { dueByQueue, liveWorkers, type QueueGauge } from './queue-gauges.js'
import { OUTCOMES, type TaskMetrics } from './task-metrics.js'

export { METRICS_CONTENT_TYPE } from './exposition.js'
export { TaskMetrics, checkBuckets, type FinishedOutcome } from './task-metrics.js'

/** Options of installAsync({ metrics }). */
export interface MetricsOptions {
  /** Upper bounds of the run-time histogram's buckets, in seconds. Default 5 ms … 300 s. */
  buckets?: number[]
}

function finishedFamily(metrics: TaskMetrics): Family {
  const samples: Sample[] = []
  for (const [queue, series] of metrics.queues) {
    for (const outcome of OUTCOMES) {
      samples.push({ labels: { queue, outcome }, value: series.finished[outcome] })
    }
  }
  return {
    name: 'async_tasks_finished_total',
    help: 'Runs whose outcome this process stored, by queue and outcome (succeeded, failed, retry: failed and will run again, lost: its lease had expired).',
    type: 'counter',
    samples,
  }
}

function runTimeFamily(metrics: TaskMetrics): Family {
  const samples: Sample[] = []
  for (const [queue, series] of metrics.queues) {
    let cumulative = 0
    series.buckets.forEach((count, i) => {
      cumulative += count
      const le = i < metrics.bounds.length ? formatValue(metrics.bounds[i] as number) : '+Inf'
      samples.push({ suffix: '_bucket', labels: { queue, le }, value: cumulative })
    })
    samples.push({ suffix: '_sum', labels: { queue }, value: series.sum })
    samples.push({ suffix: '_count', labels: { queue }, value: series.count })
  }
  return {
    name: 'async_task_run_seconds',
    help: 'Run time of the tasks this process executed, by queue.',
    type: 'histogram',
    samples,
  }
}

function queueFamilies(due: QueueGauge[], known: Set<string>): Family[] {
  const byQueue = new Map(due.map((q) => [q.queue, q]))
  // Queues a worker serves or this process has run report 0 rather than vanish.
  for (const queue of known) {
    if (!byQueue.has(queue)) byQueue.set(queue, { queue, due: 0, oldestAgeSeconds: 0 })
  }
  const queues = [...byQueue.values()].sort((a, b) => (a.queue < b.queue ? -1 : 1))
  return [
    {
      name: 'async_queue_depth',
      help: 'Tasks due and waiting for a worker, by queue (from the database at scrape time).',
      type: 'gauge',
      samples: queues.map((q) => ({ labels: { queue: q.queue }, value: q.due })),
    },
    {
      name: 'async_queue_oldest_due_age_seconds',
      help: 'Seconds since the oldest waiting task of the queue became due; 0 when none waits (from the database at scrape time).',
      type: 'gauge',
      samples: queues.map((q) => ({ labels: { queue: q.queue }, value: q.oldestAgeSeconds })),
    },
  ]
}

/** The exposition text: this process's counters and the database's gauges. */
export async function collectMetrics(ctx: Context): Promise<string> {
  const [due, workers] = await Promise.all([dueByQueue(ctx), liveWorkers(ctx)])
  const known = new Set([...workers.queues, ...ctx.metrics.queues.keys()])
  return exposition([
    finishedFamily(ctx.metrics),
    runTimeFamily(ctx.metrics),
    ...queueFamilies(due, known),
    {
      name: 'async_workers_alive',
      help: 'Workers heard from in the last minute, on every host (from the database at scrape time).',
      type: 'gauge',
      samples: [{ value: workers.count }],
    },
  ])
}
