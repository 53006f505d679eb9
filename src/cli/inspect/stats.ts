/**
 * `script/async stats`: counts per status and per queue, and for the last
 * hour the throughput and the latency from due to start (p50/p95). Counts
 * come from grouped queries; latencies from at most 10,000 recent rows.
 */
import { Op, fn, col } from 'sequelize'
import Table from 'cli-table3'
import type { AsyncTasks } from '../../install.js'
import { escapeLine } from '../../terminal-text.js'

export interface Stats {
  byStatus: Record<string, number>
  byQueue: Record<string, Record<string, number>>
  lastHour: {
    succeeded: number
    failed: number
    perMinute: number
    latencyP50Ms: number | null
    latencyP95Ms: number | null
  }
  /** Paused and limited queues, with what holds their tasks back. */
  queues: Array<{
    name: string
    paused: boolean
    concurrency: number | null
    running: number
    rateLimit: { max: number; per: number } | null
    /** Due tasks waiting for their concurrency key. */
    blocked: number
  }>
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? null
}

export async function collectStats(tasks: AsyncTasks): Promise<Stats> {
  const { AsyncTask } = tasks
  const grouped = (await AsyncTask.findAll({
    attributes: ['queue', 'status', [fn('COUNT', col('id')), 'n']],
    group: ['queue', 'status'],
    raw: true,
  })) as unknown as Array<{ queue: string; status: string; n: number | string }>
  const byStatus: Record<string, number> = {}
  const byQueue: Record<string, Record<string, number>> = {}
  for (const row of grouped) {
    const n = Number(row.n)
    byStatus[row.status] = (byStatus[row.status] ?? 0) + n
    byQueue[row.queue] = { ...byQueue[row.queue], [row.status]: n }
  }
  const since = new Date(Date.now() - 3_600_000)
  const recent = await AsyncTask.findAll({
    attributes: ['status', 'scheduledAt', 'startedAt'],
    where: { finishedAt: { [Op.gte]: since }, status: ['succeeded', 'failed'] },
    order: [['finishedAt', 'DESC']],
    limit: 10_000,
  })
  const waits = recent
    .filter((t) => t.startedAt)
    .map((t) => Math.max(0, t.startedAt!.getTime() - t.scheduledAt.getTime()))
    .sort((a, b) => a - b)
  const succeeded = recent.filter((t) => t.status === 'succeeded').length
  const states = await tasks.queueStates()
  const blockedRows = (await AsyncTask.findAll({
    attributes: ['queue', [fn('COUNT', col('id')), 'n']],
    where: { ready: 2 },
    group: ['queue'],
    raw: true,
  })) as unknown as Array<{ queue: string; n: number | string }>
  const blocked = new Map(blockedRows.map((row) => [row.queue, Number(row.n)]))
  const names = [...new Set([...states.paused, ...states.limited, ...blocked.keys()])].sort()
  const queues = names.map((name) => {
    const limits = states.limits.get(name)
    return {
      name,
      paused: states.paused.has(name),
      concurrency: limits?.concurrency ?? null,
      running: limits?.running ?? 0,
      rateLimit: limits?.rateLimit ?? null,
      blocked: blocked.get(name) ?? 0,
    }
  })
  return {
    queues,
    byStatus,
    byQueue,
    lastHour: {
      succeeded,
      failed: recent.length - succeeded,
      perMinute: Math.round((recent.length / 60) * 10) / 10,
      latencyP50Ms: percentile(waits, 0.5),
      latencyP95Ms: percentile(waits, 0.95),
    },
  }
}

const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled']

export function statsText(stats: Stats): string {
  const table = new Table({ head: ['queue', ...STATUSES], style: { head: [], border: [] } })
  for (const [queue, counts] of Object.entries(stats.byQueue).sort()) {
    table.push([escapeLine(queue), ...STATUSES.map((s) => counts[s] ?? 0)])
  }
  table.push(['(all)', ...STATUSES.map((s) => stats.byStatus[s] ?? 0)])
  const h = stats.lastHour
  const ms = (v: number | null) => (v === null ? '–' : `${v} ms`)
  const held = stats.queues.map((q) => {
    const parts = [
      q.paused ? 'paused' : '',
      q.concurrency === null ? '' : `at most ${q.concurrency} running (${q.running} now)`,
      q.rateLimit ? `at most ${q.rateLimit.max} starts per ${q.rateLimit.per / 1000} s` : '',
      q.blocked > 0 ? `${q.blocked} due task(s) waiting for their concurrency key` : '',
    ]
    return `queue ${escapeLine(q.name)}: ${parts.filter(Boolean).join('; ')}`
  })
  return [
    table.toString(),
    `last hour: ${h.succeeded} succeeded, ${h.failed} failed (${h.perMinute}/min); due → start p50 ${ms(h.latencyP50Ms)}, p95 ${ms(h.latencyP95Ms)}`,
    ...held,
  ].join('\n')
}
