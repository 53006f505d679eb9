// drain: `drainTasks` tasks enqueued up front, then P worker processes × C
// concurrency start together. Handlers are counted in the children (progress
// every 20 ms) and sampled here every 10 ms; completion is confirmed in the
// store. One run gives both figures (drain-windows.js): the cold one from
// the start signal, the steady one after warm-up. A run stops at completion
// or at the end of its steady window, whichever comes first, so a slow
// system (pg-boss 10 runs one job per loop per poll interval) costs
// warm-up + `steadyMs`, not hours.
import { now, sleep } from '../clock.js'
import { spawnWorkers } from '../workers.js'
import { drainFigures } from './drain-windows.js'

const CONFIRM_TIMEOUT_MS = 30000

async function waitForStore(client, deadline) {
  while ((await client.remaining()) > 0) {
    if (now() > deadline) return false
    await sleep(10)
  }
  return true
}

// Warm-up ends `warmupMs` after the start signal or once `warmupShare` of
// the tasks are done, whichever comes first (a fast system may finish early).
async function follow(pool, t0, total, { warmupMs, warmupShare, steadyMs }) {
  const run = { t0, total, samples: [[t0, 0]], warm: null, finished: false }
  for (;;) {
    await sleep(10)
    if (pool.died()) throw new Error('a worker process died (see its error above)')
    const t = now()
    const done = pool.done()
    run.samples.push([t, done])
    if (!run.warm && (t - t0 >= warmupMs || done >= warmupShare * total)) run.warm = [t, done]
    if (done >= total) return { ...run, finished: true }
    if (run.warm && t - run.warm[0] >= steadyMs) return run
  }
}

// Workers start up while the backlog is written: neither is measured, and
// the two together take half the time.
async function prepare(system, client, sizes, setting, total) {
  const [spawned, enqueued] = await Promise.allSettled([
    spawnWorkers(system.name, sizes, setting),
    system.endless ? null : client.enqueueMany(total),
  ])
  if (enqueued.status === 'rejected') {
    if (spawned.status === 'fulfilled') await spawned.value.stop()
    throw enqueued.reason
  }
  if (spawned.status === 'rejected') throw spawned.reason
  return spawned.value
}

export async function measureDrain(system, client, sizes, setting) {
  const total = system.endless
    ? Number.POSITIVE_INFINITY
    : system.polled
      ? sizes.drainTasksPolled
      : sizes.drainTasks
  const t = now()
  const pool = await prepare(system, client, sizes, setting, total)
  const t0 = pool.go()
  try {
    const run = await follow(pool, t0, total, sizes.drain)
    let end = null
    if (run.finished) {
      if (!(await waitForStore(client, now() + CONFIRM_TIMEOUT_MS)))
        throw new Error(`${system.name}: handlers ran but the store still shows due tasks`)
      end = now()
    }
    const stopping = now()
    const { maxRss } = await pool.stop()
    return {
      tasks: system.endless ? null : total,
      finished: run.finished,
      ...drainFigures(run, end, sizes.drain),
      maxRss,
      // Where a step's time goes besides the measurement (for the run's budget).
      prepareSeconds: (t0 - t) / 1000,
      stopSeconds: (now() - stopping) / 1000,
    }
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
