/** The live workers and what they run now. */
import { formatAge, formatTime } from '../format.js'
import { html, type Handler } from '../page.js'

export const listWorkers: Handler = async (page) => {
  const workers = await page.tasks.workers()
  const rows = workers.map((worker) => ({
    host: worker.host,
    pid: worker.pid,
    uid: worker.uid ?? '',
    queues: worker.queues.join(', '),
    concurrency: worker.concurrency,
    running: worker.running.map((id) => ({ id, href: `${page.frame.base}/tasks/${id}` })),
    startedAt: formatTime(worker.startedAt),
    lastSeen: formatAge(worker.lastSeenAt),
  }))
  return html(page, 'workers', 'Workers', { rows })
}
