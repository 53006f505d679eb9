/**
 * The inspection commands of script/async, on the app's own `tasks`.
 */
import type { AsyncTasks } from '../../install.js'
import type { AsyncTask } from '../../task-model.js'
import { UsageError } from '../args.js'
import { taskId, type InspectArgs } from './args.js'
import { collectStats, statsText } from './stats.js'
import { taskDetail, taskJson, taskTable } from './tables.js'
import { escapeError, terminalJson } from '../../terminal-text.js'

const out = (text: string): void => void process.stdout.write(`${text}\n`)

async function find(tasks: AsyncTasks, args: InspectArgs): Promise<AsyncTask> {
  const task = await tasks.AsyncTask.findByPk(taskId(args))
  if (!task) throw new UsageError(`There is no task ${args.subject}.`)
  return task
}

async function list(tasks: AsyncTasks, args: InspectArgs): Promise<void> {
  const where: Record<string, string> = {}
  if (args.status) where.status = args.status
  if (args.queue) where.queue = args.queue
  if (args.target) where.objectType = args.target
  if (args.object) Object.assign(where, { objectType: args.object.type, objectId: args.object.id })
  const rows = await tasks.AsyncTask.findAll({ where, order: [['id', 'DESC']], limit: args.limit })
  const queues = await tasks.queueStates()
  out(args.json ? terminalJson(rows.map((row) => taskJson(row, queues))) : taskTable(rows, queues))
}

/** `retry --failed`: every failed task, in batches by id, with progress on stderr. */
async function retryFailed(tasks: AsyncTasks): Promise<void> {
  const total = await tasks.AsyncTask.count({ where: { status: 'failed' } })
  const progress = (done: number): void => {
    if (process.stderr.isTTY) process.stderr.write(`\rretrying failed tasks: ${done}/${total}`)
  }
  const { lifecycle } = tasks.AsyncTask as unknown as typeof AsyncTask
  const { retried, skipped } = await lifecycle.retryAll('failed', progress)
  if (process.stderr.isTTY) process.stderr.write('\n')
  out(`${retried} failed task(s) queued to run again`)
  for (const { id, error } of skipped) out(`task ${id} was not retried: ${error}`)
}

/** Runs one command; an error (its text may quote a row) leaves with control characters escaped. */
export async function runInspect(tasks: AsyncTasks, args: InspectArgs): Promise<void> {
  try {
    await command(tasks, args)
  } catch (error) {
    throw escapeError(error)
  }
}

async function command(tasks: AsyncTasks, args: InspectArgs): Promise<void> {
  switch (args.command) {
    case 'list':
      return list(tasks, args)
    case 'show': {
      const task = await find(tasks, args)
      const queues = await tasks.queueStates()
      return out(args.json ? terminalJson(taskJson(task, queues)) : taskDetail(task, queues))
    }
    case 'retry':
      if (args.failed) return retryFailed(tasks)
      await (await find(tasks, args)).retry()
      return out(`task ${args.subject} queued to run again`)
    case 'cancel': {
      const task = await (await find(tasks, args)).cancel()
      if (task.status === 'running')
        return out(
          `task ${args.subject} is running: cancel requested; its worker aborts it within one heartbeat`,
        )
      return out(`task ${args.subject} cancelled`)
    }
    case 'stats': {
      const stats = await collectStats(tasks)
      return out(args.json ? terminalJson(stats) : statsText(stats))
    }
    case 'prune':
      return out(`${await tasks.prune()} finished task(s) past retention deleted`)
    case 'pause':
    case 'resume':
      if (!args.subject) throw new UsageError(`${args.command} takes a queue name`)
      await (args.command === 'pause'
        ? tasks.pauseQueue(args.subject)
        : tasks.resumeQueue(args.subject))
      return out(`queue ${args.subject} ${args.command === 'pause' ? 'paused' : 'resumed'}`)
    case 'dashboard':
      throw new UsageError('dashboard is served by serveDashboard()')
  }
}
