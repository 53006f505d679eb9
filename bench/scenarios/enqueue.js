// enqueue: sequential single enqueues from one client, as a web request
// makes them. Per-call latency percentiles and enqueues/s. The calls are
// split across the rounds and pooled (5,000 in all for 3 rounds). A short warm-up
// (not measured) lets pools, prepared statements and JIT settle first.
import { now } from '../clock.js'
import { latencySummary } from '../stats.js'
import { perRound } from '../options.js'

const WARM_UP = 50

export async function measureEnqueue(client, count) {
  for (let i = 0; i < WARM_UP; i++) await client.enqueue()
  const samples = new Array(count)
  const start = now()
  for (let i = 0; i < count; i++) {
    const t = now()
    await client.enqueue()
    samples[i] = now() - t
  }
  const seconds = (now() - start) / 1000
  return { ...latencySummary(samples), perSec: count / seconds, samples }
}

export async function enqueue(system, sizes) {
  await system.reset()
  const client = await system.connect()
  try {
    return await measureEnqueue(client, perRound(sizes.enqueueCount, sizes))
  } finally {
    await client.close()
  }
}
