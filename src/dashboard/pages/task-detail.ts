/** One task in full, and the confirmation page of its actions. */
import type { AsyncTask } from '../../task-model.js'
import { formatTime, prettyJson } from '../format.js'
import { html, notFound, problemPage, type Handler } from '../page.js'
import { findTask } from './find-task.js'
import type { QueueStates } from '../../queue-limits.js'
import { taskKey, waitingReason } from '../../waiting.js'
import { ACTIONS, allowedActions, isTaskAction } from './task-actions.js'
import { listHref } from './task-list.js'

/** The list of the record's tasks (or the class's, for a static method). */
function relatedHref(base: string, task: AsyncTask): string {
  const filters =
    task.objectId === null
      ? { objectType: task.objectType }
      : { objectType: task.objectType, objectId: task.objectId }
  return listHref(base, filters)
}

function fields(task: AsyncTask, queues: QueueStates): Array<{ name: string; value: string }> {
  const waiting = waitingReason(task, queues)
  const rows: Array<[string, unknown]> = [
    ['Status', task.status],
    ...(waiting ? ([['Waiting', waiting]] as Array<[string, unknown]>) : []),
    ['Queue', task.queue],
    ...(task.concurrencyKey === null
      ? []
      : ([['Concurrency key', taskKey(task)]] as Array<[string, unknown]>)),
    ...(task.uniqueKey === null
      ? []
      : ([['Unique key', `${task.uniqueKey} (until ${task.uniqueUntil ?? 'started'})`]] as Array<
          [string, unknown]
        >)),
    ...(task.progress === null && task.progressNote === null
      ? []
      : ([
          [
            'Progress',
            `${Math.round((task.progress ?? 0) * 100)}%${task.progressNote ? ` — ${task.progressNote}` : ''}`,
          ],
        ] as Array<[string, unknown]>)),
    ...(task.cancelRequested && task.status === 'running'
      ? ([['Cancel', 'requested; the worker aborts the run']] as Array<[string, unknown]>)
      : []),
    ['Priority', task.priority],
    ['Attempts', `${task.attempts} of ${task.maxAttempts}`],
    ['Interruptions', task.interruptions],
    ['Scheduled', formatTime(task.scheduledAt)],
    ['Created', formatTime(task.createdAt)],
    ['Started', formatTime(task.startedAt)],
    ['Finished', formatTime(task.finishedAt)],
    ['Locked by', task.lockedBy ?? ''],
    ['Lease until', formatTime(task.lockedUntil)],
  ]
  return rows.map(([name, value]) => ({ name, value: String(value) }))
}

export const showTask: Handler = async (page, [id]) => {
  const task = await findTask(page, id)
  if (!task) return notFound(page, `Task ${id}`)
  const allowed = allowedActions(task)
  return html(page, 'task', `Task ${task.id}`, {
    id: task.id,
    label: task.label,
    confirmHref: `${page.frame.base}/tasks/${task.id}/confirm`,
    relatedHref: relatedHref(page.frame.base, task),
    relatedLabel: task.objectId === null ? task.objectType : `${task.objectType}(${task.objectId})`,
    canRetry: allowed.includes('retry'),
    canCancel: allowed.includes('cancel'),
    canDelete: allowed.includes('delete'),
    fields: fields(task, await page.tasks.queueStates()),
    args: prettyJson(task.argsJson),
    result: task.status === 'failed' ? '' : prettyJson(task.resultJson),
    error: task.error ?? '',
    attemptErrors: task.attemptErrors.map((e) => ({
      attempt: e.attempt,
      at: formatTime(e.at),
      name: e.name,
      message: e.message,
      stack: e.stack ?? '',
    })),
  })
}

export const confirmAction: Handler = async (page, [id]) => {
  const task = await findTask(page, id)
  if (!task) return notFound(page, `Task ${id}`)
  const verb = page.req.query.get('do') ?? ''
  const base = `${page.frame.base}/tasks/${task.id}`
  if (!isTaskAction(verb)) return notFound(page, `The action ${JSON.stringify(verb)}`)
  if (!allowedActions(task).includes(verb)) {
    const message = `Task ${task.id} is ${task.status}; it cannot be ${ACTIONS[verb].past} now.`
    return problemPage(page, 409, 'Not possible', message)
  }
  const action = ACTIONS[verb]
  return html(page, 'confirm', `${action.title} task ${task.id}`, {
    id: task.id,
    label: task.label,
    status: task.status,
    queue: task.queue,
    verb: action.title,
    verbLower: verb,
    explanation: action.explanation,
    danger: verb === 'delete',
    action: `${base}/${verb}`,
    backHref: base,
  })
}
