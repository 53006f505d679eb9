/**
 * Why a due task is not running yet, in words, for the dashboard and
 * `script/async list|show`: its concurrency key is at its limit, its queue
 * is paused, at its cap or rate-limited — or nothing (it runs as soon as a
 * worker is free).
 */
import type { QueueStates } from './queue-limits.js'

/** The fields of a task the reason depends on. */
export interface Waiting {
  status: string
  ready: number | null
  queue: string
  scheduledAt: Date
  concurrencyKey: string | null
  concurrencyLimit: number | null
}

export function waitingReason(task: Waiting, queues: QueueStates, now = new Date()): string | null {
  if (task.status !== 'pending') return null
  if (task.ready === 0 && task.scheduledAt > now)
    return `scheduled for ${task.scheduledAt.toISOString()}`
  if (task.ready === 3) return 'it runs after other tasks (after), which have not all succeeded yet'
  if (task.ready === 2) {
    const limit = task.concurrencyLimit ?? 1
    return `its concurrency key ${task.concurrencyKey ?? ''} is at its limit (${limit} at once)`
  }
  if (queues.paused.has(task.queue)) return `queue ${task.queue} is paused`
  const limits = queues.limits.get(task.queue)
  if (
    limits?.concurrency !== null &&
    limits !== undefined &&
    limits.running >= limits.concurrency
  ) {
    return `queue ${task.queue} is at its limit (${limits.concurrency} running)`
  }
  if (limits?.rateLimit) {
    const { max, per } = limits.rateLimit
    return `queue ${task.queue} starts at most ${max} per ${per / 1000} s`
  }
  return null
}

/** The key a task is known by: its concurrency key (with the limit), else its unique key. */
export function taskKey(task: {
  concurrencyKey: string | null
  concurrencyLimit: number | null
  uniqueKey: string | null
}): string {
  if (task.concurrencyKey !== null) return `${task.concurrencyKey} (≤${task.concurrencyLimit ?? 1})`
  return task.uniqueKey ?? ''
}
