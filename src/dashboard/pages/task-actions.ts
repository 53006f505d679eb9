/**
 * Retry, cancel and delete, run by the POST of the confirmation form. The
 * model's own retry()/cancel() do the status check atomically (a task that
 * changed meanwhile is refused, not clobbered); delete leaves running tasks
 * alone, as their worker still owns them.
 */
import type { AsyncTask } from '../../task-model.js'
import { notFound, problemPage, type Handler } from '../page.js'
import { redirect } from '../response.js'
import { findTask } from './find-task.js'

export type TaskAction = 'retry' | 'cancel' | 'delete'

export const ACTIONS: Record<TaskAction, { title: string; past: string; explanation: string }> = {
  retry: {
    title: 'Retry',
    past: 'retried',
    explanation: 'It runs again as soon as a worker is free, with one more attempt allowed.',
  },
  cancel: {
    title: 'Cancel',
    past: 'cancelled',
    explanation: 'No worker will run it. You can retry it later.',
  },
  delete: {
    title: 'Delete',
    past: 'deleted',
    explanation: 'The row and its errors are removed for good.',
  },
}

export const isTaskAction = (verb: string | undefined): verb is TaskAction =>
  verb === 'retry' || verb === 'cancel' || verb === 'delete'

export function allowedActions(task: AsyncTask): TaskAction[] {
  if (task.status === 'pending') return ['cancel', 'delete']
  if (task.status === 'failed' || task.status === 'cancelled') return ['retry', 'delete']
  if (task.status === 'succeeded') return ['delete']
  // Running: a cancel is asked of its worker (the signal aborts), once.
  if (task.status === 'running' && !task.cancelRequested) return ['cancel']
  return []
}

async function perform(task: AsyncTask, verb: TaskAction): Promise<boolean> {
  if (verb === 'retry') await task.retry()
  else if (verb === 'cancel') await task.cancel()
  else return (await (task.constructor as typeof AsyncTask).lifecycle.remove([task.id])) === 1
  return true
}

export const runAction: Handler = async (page, [id, verb]) => {
  const task = await findTask(page, id)
  if (!task) return notFound(page, `Task ${id}`)
  if (!isTaskAction(verb)) return notFound(page)
  const base = page.frame.base
  try {
    if (!(await perform(task, verb))) {
      return problemPage(page, 409, 'Not done', `Task ${task.id} is running; it was not deleted.`)
    }
  } catch (err) {
    return problemPage(page, 409, 'Not done', (err as Error).message)
  }
  if (verb === 'delete') return redirect(`${base}/tasks?notice=deleted`)
  return redirect(`${base}/tasks/${task.id}?notice=${ACTIONS[verb].past}`)
}
