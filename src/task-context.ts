/**
 * What a running task can learn about itself: its row and an AbortSignal that
 * fires when its `timeout` expires, the worker shuts down or the task is
 * cancelled; and what it can do (progress, snooze, its parents' results). Carried by
 * AsyncLocalStorage so method signatures stay the app's own.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { AsyncTask } from './task-model.js'

/** The task being executed, its abort signal, and what it can do about itself. */
export interface TaskContext {
  task: AsyncTask
  /** Aborts on timeout, on worker shutdown, and when the task is cancelled while it runs. */
  signal: AbortSignal
  /** Stores progress (0–1) and a short note; throttled to a few writes a second. */
  progress(fraction: number, note?: string): void
  /** Ends this run without counting an attempt; the task runs again after `ms`. */
  snooze(ms: number): never
  /** The stored results of the tasks this one runs after (`after`), in that order. */
  parentResults(): Promise<unknown[]>
}

export const taskStorage = new AsyncLocalStorage<TaskContext>()

/**
 * Inside a task method: the task being run and its AbortSignal (honour it to
 * stop early on timeout or shutdown). Outside a task: undefined.
 */
export function currentTask(): TaskContext | undefined {
  return taskStorage.getStore()
}
