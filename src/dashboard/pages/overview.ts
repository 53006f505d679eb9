/** The overview page and the pause/resume buttons of its queue table. */
import { barChart, lineChart } from '../charts.js'
import { formatClock } from '../format.js'
import { html, problemPage, type Handler } from '../page.js'
import { redirect } from '../response.js'
import { loadOverview, STATUSES } from '../stats.js'

/** `≤ 5 running (3 now), ≤ 100 starts / 60 s`, or nothing for a queue without limits. */
function limitsText(
  limits:
    | {
        concurrency: number | null
        running: number
        rateLimit: { max: number; per: number } | null
      }
    | undefined,
): string {
  if (!limits) return ''
  const parts = []
  if (limits.concurrency !== null)
    parts.push(`≤ ${limits.concurrency} running (${limits.running} now)`)
  if (limits.rateLimit)
    parts.push(`≤ ${limits.rateLimit.max} starts / ${limits.rateLimit.per / 1000} s`)
  return parts.join(', ')
}

export const showOverview: Handler = async (page) => {
  const { base } = page.frame
  const [stats, states] = await Promise.all([loadOverview(page.tasks), page.tasks.queueStates()])
  const paused = [...states.paused]
  const names = new Set([...stats.queues.map((q) => q.name), ...paused, ...states.limited])
  const byName = new Map(stats.queues.map((q) => [q.name, q]))
  const queues = [...names].sort().map((name) => ({
    ...(byName.get(name) ?? { name, pending: 0, running: 0, succeeded: 0, failed: 0 }),
    paused: paused.includes(name),
    limits: limitsText(states.limits.get(name)),
    href: `${base}/tasks?queue=${encodeURIComponent(name)}`,
    action: `${base}/queues/${encodeURIComponent(name)}/${paused.includes(name) ? 'resume' : 'pause'}`,
  }))
  const labels = stats.starts.map(formatClock)
  return html(page, 'overview', 'Overview', {
    statuses: STATUSES.map((name) => ({
      name,
      count: stats.statusCounts[name],
      href: `${base}/tasks?status=${name}`,
    })),
    queues,
    throughput: barChart('Tasks finished per 5 minutes (UTC)', labels, [
      { name: 'succeeded', color: '#3a9d5d', values: stats.succeededPerBucket },
      { name: 'failed', color: '#c94343', values: stats.failedPerBucket },
    ]),
    depth: lineChart('Queue depth (due, unfinished tasks)', labels, [
      { name: 'depth', color: '#3f6fb5', values: stats.depth },
    ]),
  })
}

export const setQueuePaused: Handler = async (page, [queue = '', verb]) => {
  try {
    if (verb === 'pause') await page.tasks.pauseQueue(queue)
    else await page.tasks.resumeQueue(queue)
  } catch (err) {
    return problemPage(page, 400, 'Not done', (err as Error).message)
  }
  return redirect(`${page.frame.base}/?notice=${verb === 'pause' ? 'paused' : 'resumed'}`)
}
