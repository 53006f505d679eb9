// latency: an idle worker (1 process × concurrency 1); one enqueue every
// `latencyEveryMs`, `latencyCount` times in all (split across the rounds,
// samples pooled); enqueue call → handler start.
// Times come from performance.timeOrigin + now(), comparable across
// processes. `latency-inproc` runs the worker inside the enqueuing process
// (sequelize-async only), where the enqueue can wake it directly.
import { now, sleep } from '../clock.js'
import { latencySummary } from '../stats.js'
import { spawnWorkers } from '../workers.js'
import { perRound } from '../options.js'

const SETTLE_MS = 500

async function paced(client, sizes, count, sentAt) {
  const start = now()
  for (let i = 0; i < count; i++) {
    const due = start + i * sizes.latencyEveryMs
    if (due > now()) await sleep(due - now())
    sentAt[i] = now()
    await client.enqueue(i)
  }
}

async function collect(sizes, count, sentAt, startedAt) {
  const deadline = now() + sizes.pollIntervalMs * 3 + 2000
  while (startedAt.size < count && now() < deadline) await sleep(10)
  const samples = [...startedAt].map(([tag, t]) => t - sentAt[tag])
  return { ...latencySummary(samples), lost: count - samples.length, samples }
}

export async function latency(system, sizes) {
  await system.reset()
  const client = await system.connect()
  const startedAt = new Map()
  const onRun = (tag, t) => startedAt.set(tag, t)
  const pool = await spawnWorkers(system.name, sizes, { processes: 1, concurrency: 1, onRun })
  const sentAt = []
  const count = perRound(sizes.latencyCount, sizes)
  try {
    pool.go()
    await sleep(SETTLE_MS)
    await paced(client, sizes, count, sentAt)
    const result = await collect(sizes, count, sentAt, startedAt)
    if (pool.died()) throw new Error('the worker process died (see its error above)')
    return result
  } finally {
    await pool.stop()
    await client.close()
  }
}

export async function latencyInProcess(system, sizes) {
  await system.reset()
  const startedAt = new Map()
  const onRun = (tag) => startedAt.set(tag, now())
  const client = await system.connect({ worker: { concurrency: 1, onRun } })
  const sentAt = []
  const count = perRound(sizes.latencyCount, sizes)
  try {
    await client.worker.start()
    await sleep(SETTLE_MS)
    await paced(client, sizes, count, sentAt)
    return await collect(sizes, count, sentAt, startedAt)
  } finally {
    await client.close()
  }
}
