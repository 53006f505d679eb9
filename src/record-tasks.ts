/**
 * `record.asyncTasks(options)`: the tasks enqueued on one record, newest
 * first. A read through the AsyncTask model (off the hot path), served by
 * the `async_tasks_object` index on (object_type, object_id); on every
 * dialect that index also orders its entries by id, the primary key.
 */
import { Op, type Model, type Transaction, type WhereOptions } from 'sequelize'
import type { Context } from './context.js'
import { recordRef } from './enqueue.js'
import { EnqueueError } from './errors.js'
import { describe } from './options.js'
import type { AsyncTask, TaskStatus } from './task-model.js'

/** Options of `record.asyncTasks()`. */
export interface RecordTasksOptions {
  /** Only tasks in this status (or any of these). */
  status?: TaskStatus | TaskStatus[]
  /** Only tasks of this method. */
  action?: string
  /** At most this many (newest first). Default 50, at most 1000. */
  limit?: number
  /** Read inside this transaction. */
  transaction?: Transaction | null
}

const STATUSES: readonly string[] = ['pending', 'running', 'succeeded', 'failed', 'cancelled']
const KNOWN = new Set(['status', 'action', 'limit', 'transaction'])

function where(options: RecordTasksOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (options.status !== undefined) {
    const list = Array.isArray(options.status) ? options.status : [options.status]
    for (const status of list) {
      if (!STATUSES.includes(status))
        throw new EnqueueError(
          `Option status must be one of ${STATUSES.join(', ')} (or an array of them); got ${describe(status)}.`,
        )
    }
    out.status = { [Op.in]: list }
  }
  if (options.action !== undefined) {
    if (typeof options.action !== 'string')
      throw new EnqueueError(
        `Option action must be a method name; got ${describe(options.action)}.`,
      )
    out.action = options.action
  }
  return out
}

/** The record's tasks, newest first. */
export async function recordTasks(
  ctx: Context,
  record: Model,
  options: RecordTasksOptions = {},
): Promise<AsyncTask[]> {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new EnqueueError(
      `The options of asyncTasks() must be an object; got ${describe(options)}.`,
    )
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new EnqueueError(`Unknown option "${key}". Known options: ${[...KNOWN].join(', ')}.`)
  }
  const { limit = 50 } = options
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new EnqueueError(
      `Option limit must be an integer from 1 to 1000; got ${describe(limit)}.`,
    )
  const ref = recordRef(ctx, record, 'The record')
  return ctx.AsyncTask.findAll({
    where: { objectType: ref.model, objectId: String(ref.id), ...where(options) } as WhereOptions,
    order: [['id', 'DESC']],
    limit,
    transaction: options.transaction ?? undefined,
  })
}
