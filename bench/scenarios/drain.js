// drain: N tasks enqueued up front, then P worker processes × C concurrency
// start together; tasks/s from the start signal to the last completion
// (handlers counted in the children, then confirmed in the store). A run
// that has not finished after `drainCapMs` is cut there and reports
// completed/elapsed, marked capped: pg-boss 10 runs one job per loop per
// poll interval, so 20,000 tasks would take hours.
import { now, sleep } from '../clock.js'
import { spawnWorkers } from '../workers.js'

const CONFIRM_TIMEOUT_MS = 30000

async function waitForHandlers(pool, total, deadline) {
  while (pool.done() < total && now() < deadline) {
    if (pool.died()) throw new Error('a worker process died (see its error above)')
    await sleep(10)
  }
  return pool.done() >= total
}

async function waitForStore(client, deadline) {
  while ((await client.remaining()) > 0) {
    if (now() > deadline) return false
    await sleep(10)
  }
  return true
}

export async function measureDrain(system, client, sizes, { processes, concurrency }) {
  const total = sizes.drainCount
  await client.enqueueMany(total)
  const pool = await spawnWorkers(system.name, sizes, { processes, concurrency })
  try {
    const t0 = pool.go()
    const finished = await waitForHandlers(pool, total, t0 + sizes.drainCapMs)
    let end = now()
    let completed = pool.done()
    if (finished) {
      const confirmed = await waitForStore(client, now() + CONFIRM_TIMEOUT_MS)
      end = now()
      if (!confirmed)
        throw new Error(`${system.name}: handlers ran but the store still shows due tasks`)
      completed = total
    }
    const seconds = (end - t0) / 1000
    const { maxRss } = await pool.stop()
    return { tasks: completed, seconds, perSec: completed / seconds, capped: !finished, maxRss }
  } catch (err) {
    await pool.stop()
    throw err
  }
}

export async function drain(system, sizes, setting) {
  await system.reset()
  const client = await system.connect()
  try {
    return await measureDrain(system, client, sizes, setting)
  } finally {
    await client.close()
  }
}
