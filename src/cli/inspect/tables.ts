/**
 * Terminal output of tasks: a table of many, a full view of one. Every value
 * from a row goes through terminal-text.ts, so a row cannot drive the terminal.
 */
import Table from 'cli-table3'
import type { AsyncTask } from '../../task-model.js'
import { escapeBlock, escapeLine, terminalJson } from '../../terminal-text.js'
import type { QueueStates } from '../../queue-limits.js'
import { taskKey, waitingReason } from '../../waiting.js'

function when(date: Date | null): string {
  return date ? date.toISOString().replace('T', ' ').slice(0, 19) : ''
}

export function taskTable(tasks: AsyncTask[], queues: QueueStates): string {
  const table = new Table({
    head: [
      'id',
      'status',
      'queue',
      'prio',
      'task',
      'key',
      'scheduled',
      'finished',
      'tries',
      'error',
    ],
    style: { head: [], border: [] },
  })
  for (const t of tasks) {
    const waiting = waitingReason(t, queues)
    const cells = [
      t.id,
      waiting ? `${t.status}: ${waiting}` : t.status,
      t.queue,
      t.priority,
      t.label,
      taskKey(t).slice(0, 40),
      when(t.scheduledAt),
      when(t.finishedAt),
      `${t.attempts}/${t.maxAttempts}`,
      (t.error ?? '').slice(0, 60),
    ]
    table.push(cells.map(escapeLine))
  }
  return table.toString()
}

/** Everything about one task, for `show`. */
export function taskJson(t: AsyncTask, queues?: QueueStates): Record<string, unknown> {
  let result: unknown
  try {
    result =
      t.result instanceof Error ? { error: t.result.name, message: t.result.message } : t.result
  } catch (error) {
    result = `(unreadable: ${(error as Error).message})`
  }
  let args: unknown
  try {
    args = t.args
  } catch (error) {
    args = `(unreadable: ${(error as Error).message})`
  }
  return {
    id: t.id,
    task: t.label,
    status: t.status,
    ...(queues ? { waiting: waitingReason(t, queues) } : {}),
    success: t.success,
    queue: t.queue,
    uniqueKey: t.uniqueKey,
    uniqueUntil: t.uniqueUntil,
    concurrencyKey: t.concurrencyKey,
    concurrencyLimit: t.concurrencyLimit,
    priority: t.priority,
    ...(t.progress === null && t.progressNote === null
      ? {}
      : { progress: t.progress, progressNote: t.progressNote }),
    ...(t.cancelRequested ? { cancelRequested: true } : {}),
    args,
    result,
    error: t.error,
    attempts: t.attempts,
    maxAttempts: t.maxAttempts,
    interruptions: t.interruptions,
    scheduledAt: t.scheduledAt,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    lockedBy: t.lockedBy,
    lockedUntil: t.lockedUntil,
    attemptErrors: t.attemptErrors,
  }
}

export function taskDetail(t: AsyncTask, queues: QueueStates): string {
  const data = taskJson(t, queues)
  const lines = Object.entries(data)
    .filter(([key]) => key !== 'attemptErrors')
    .map(
      ([key, value]) =>
        `${key.padEnd(14)} ${value instanceof Date ? when(value) : terminalJson(value, 0, replacer)}`,
    )
  for (const e of t.attemptErrors) {
    lines.push(
      '',
      escapeBlock(`attempt ${e.attempt} failed at ${e.at}: ${e.name}: ${e.message}`),
      escapeBlock(e.stack ?? ''),
    )
  }
  return lines.join('\n')
}

// BigInt and friends are shown, not thrown on.
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Map) return Object.fromEntries(value)
  if (value instanceof Set) return [...value]
  return value
}
