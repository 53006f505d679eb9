/**
 * What a running task can learn about itself: its row and an AbortSignal that
 * fires when its `timeout` expires or the worker shuts down. Carried by
 * AsyncLocalStorage so method signatures stay the app's own.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { AsyncTask } from './task-model.js'

/** The task being executed and its abort signal. */
export interface TaskContext {
  task: AsyncTask
  signal: AbortSignal
}

export const taskStorage = new AsyncLocalStorage<TaskContext>()

/**
 * Inside a task method: the task being run and its AbortSignal (honour it to
 * stop early on timeout or shutdown). Outside a task: undefined.
 */
export function currentTask(): TaskContext | undefined {
  return taskStorage.getStore()
}
