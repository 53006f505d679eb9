/** The recurring tasks with their next runs. */
import { formatTime } from '../format.js'
import { html, type Handler } from '../page.js'

export const listSchedules: Handler = (page) => {
  const rows = page.tasks.schedules(5).map((entry) => ({
    key: entry.key,
    cron: entry.cron,
    timezone: entry.timezone ?? 'server time',
    target: entry.target,
    action: entry.action,
    args: (entry.args ?? []).map((arg) => JSON.stringify(arg)).join(', '),
    queue: entry.queue ?? 'default',
    priority: entry.priority ?? 10,
    nextRuns: entry.nextRuns.map(formatTime),
  }))
  return Promise.resolve(html(page, 'schedules', 'Recurring tasks', { rows }))
}
