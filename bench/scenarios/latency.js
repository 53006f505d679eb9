// latency: an idle worker (1 process × concurrency 1); one enqueue every
// `latencyEveryMs`, `latencyCount` times; enqueue call → handler start.
// Times come from performance.timeOrigin + now(), comparable across
// processes. `latency-inproc` runs the worker inside the enqueuing process
// (sequelize-async only), where the enqueue can wake it directly.
import { now, sleep } from '../clock.js'
import { latencySummary } from '../stats.js'
import { spawnWorkers } from '../workers.js'

const SETTLE_MS = 1000

async function paced(client, sizes, sentAt) {
  const start = now()
  for (let i = 0; i < sizes.latencyCount; i++) {
    const due = start + i * sizes.latencyEveryMs
    if (due > now()) await sleep(due - now())
    sentAt[i] = now()
    await client.enqueue(i)
  }
}

async function collect(sizes, sentAt, startedAt) {
  const deadline = now() + sizes.pollIntervalMs * 3 + 2000
  while (startedAt.size < sizes.latencyCount && now() < deadline) await sleep(10)
  const samples = [...startedAt].map(([tag, t]) => t - sentAt[tag])
  return { ...latencySummary(samples), lost: sizes.latencyCount - samples.length }
}

export async function latency(system, sizes) {
  await system.reset()
  const client = await system.connect()
  const startedAt = new Map()
  const onRun = (tag, t) => startedAt.set(tag, t)
  const pool = await spawnWorkers(system.name, sizes, { processes: 1, concurrency: 1, onRun })
  const sentAt = []
  try {
    pool.go()
    await sleep(SETTLE_MS)
    await paced(client, sizes, sentAt)
    return await collect(sizes, sentAt, startedAt)
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
  try {
    await client.worker.start()
    await sleep(SETTLE_MS)
    await paced(client, sizes, sentAt)
    return await collect(sizes, sentAt, startedAt)
  } finally {
    await client.close()
  }
}
