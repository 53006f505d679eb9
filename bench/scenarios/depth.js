// depth: the drain (1 process × 10) and enqueue figures again, with
// `depthFinished` finished and `depthFuture` far-future tasks already in the
// store, written by fast bulk SQL (or a Redis script) and settled to disk,
// but not analyzed: like a production table that grew since its last
// ANALYZE, the planner has no fresh statistics (PostgreSQL's autovacuum may
// take its own meanwhile, as it would in production). The drain runs first
// so the enqueue's tasks do not join it; its figures compare with the same
// round's empty-table ones.
import { now } from '../clock.js'
import { measureDrain } from './drain.js'
import { measureEnqueue } from './enqueue.js'
import { perRound } from '../options.js'

export const DEPTH_DRAIN = { processes: 1, concurrency: 10 }

export async function depth(system, sizes) {
  await system.reset()
  const client = await system.connect()
  try {
    const t = now()
    await client.populate({ finished: sizes.depthFinished, future: sizes.depthFuture })
    const populateSeconds = (now() - t) / 1000
    const drained = await measureDrain(system, client, sizes, DEPTH_DRAIN)
    const enqueued = await measureEnqueue(client, perRound(sizes.enqueueCount, sizes))
    return { populateSeconds, drain: drained, enqueue: enqueued }
  } finally {
    await client.close()
  }
}
