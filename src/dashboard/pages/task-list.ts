/**
 * The task list. Paging is by keyset (`id < :before ORDER BY id DESC`), never
 * OFFSET: each page reads about pageSize rows from the primary key however
 * deep it is, where OFFSET would walk past every earlier row.
 */
import { taskKey, waitingReason } from '../../waiting.js'
import { Op, type WhereOptions } from 'sequelize'
import type { AsyncTask, TaskStatus } from '../../task-model.js'
import { formatShortTime, truncate } from '../format.js'
import { html, type Handler } from '../page.js'
import { STATUSES } from '../stats.js'

const FILTERS = ['status', 'queue', 'objectType', 'objectId', 'action'] as const
type Filters = Partial<Record<(typeof FILTERS)[number], string>>

// Only what a row shows: args and results may be large and are not listed.
const LIST_COLUMNS = [
  'id',
  'objectType',
  'objectId',
  'action',
  'queue',
  'status',
  'priority',
  'attempts',
  'maxAttempts',
  'scheduledAt',
  'finishedAt',
  'error',
  'ready',
  'uniqueKey',
  'concurrencyKey',
  'concurrencyLimit',
] as const

function readFilters(query: URLSearchParams): Filters {
  const filters: Filters = {}
  for (const name of FILTERS) {
    const value = query.get(name)?.trim()
    if (value && value.length <= 255) filters[name] = value
  }
  if (filters.status && !STATUSES.includes(filters.status as TaskStatus)) delete filters.status
  return filters
}

/** The list filtered by `filters` (values percent-encoded), before an id if given. */
export function listHref(base: string, filters: Filters, before?: number): string {
  const query = new URLSearchParams(filters as Record<string, string>)
  if (before !== undefined) query.set('before', String(before))
  const text = query.toString()
  return `${base}/tasks${text ? `?${text}` : ''}`
}

export const listTasks: Handler = async (page) => {
  const { base } = page.frame
  const filters = readFilters(page.req.query)
  const before = Number(page.req.query.get('before'))
  const where: WhereOptions<AsyncTask> = { ...filters }
  const paged = Number.isSafeInteger(before) && before > 0
  if (paged) Object.assign(where, { id: { [Op.lt]: before } })
  // One row more than shown tells whether an older page exists.
  const found = await page.tasks.AsyncTask.findAll({
    attributes: [...LIST_COLUMNS],
    where,
    order: [['id', 'DESC']],
    limit: page.pageSize + 1,
  })
  const shown = found.slice(0, page.pageSize)
  const last = shown.at(-1)
  const queues = await page.tasks.queueStates()
  return html(page, 'tasks', 'Tasks', {
    filters,
    statusOptions: STATUSES.map((value) => ({ value, selected: value === filters.status })),
    rows: shown.map((task) => ({
      id: task.id,
      href: `${base}/tasks/${task.id}`,
      label: task.label,
      queue: task.queue,
      status: task.status,
      waiting: waitingReason(task, queues) ?? '',
      key: taskKey(task),
      priority: task.priority,
      attempts: task.attempts,
      maxAttempts: task.maxAttempts,
      scheduledAt: formatShortTime(task.scheduledAt),
      finishedAt: formatShortTime(task.finishedAt),
      error: truncate(task.error),
    })),
    newestHref: paged ? listHref(base, filters) : undefined,
    olderHref: found.length > page.pageSize && last ? listHref(base, filters, last.id) : undefined,
  })
}
