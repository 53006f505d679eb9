// Command-line options and the sizes they select.
import { parseArgs } from 'node:util'

// A full run on the 2-core machine: 39 drain steps per round, each about
// 15 s (database reset, workers started while the backlog is written,
// warm-up + 10 s, stop), is about 29 minutes for three rounds; enqueue,
// latency, floors and depth add about 6, bulk (10,000 single enqueues per
// dialect and round) about 3 more: about 38 minutes in all.
// `--rounds=2` makes it about 25.
const FULL = {
  rounds: 3,
  enqueueCount: 5000,
  // Every system drains the same backlog, written up front by bulk copies of
  // a row the system wrote itself. 150,000 outlasts warm-up + 10 s of steady
  // state for the fastest system measured here (BullMQ and graphile-worker's
  // batched mode, 7,000–11,000 tasks/s); slower systems stop at the time cap.
  drainTasks: 150_000,
  // pg-boss runs one job per loop per poll interval (at most 20 per second
  // here): a smaller backlog saves the seconds its bulk copy would take.
  drainTasksPolled: 5_000,
  drain: {
    // The cold figure: start signal → completion, cut at `coldMs` (the rate of
    // a freshly started worker process, start-up and JIT warm-up included).
    coldMs: 2500,
    // The steady figure: from the end of warm-up (`warmupMs` after the start
    // signal, or `warmupShare` of the tasks done if that comes first) to
    // completion or `steadyMs` later, whichever comes first.
    warmupMs: 2000,
    warmupShare: 0.2,
    steadyMs: 10_000,
  },
  drainSettings: [
    [1, 1],
    [1, 10],
    [2, 10],
  ],
  latencyCount: 300,
  latencyEveryMs: 50,
  // The issue asks for 1,000,000 + 1,000,000; writing 2,000,000 rows takes
  // 10-60 s per system on the 2-core machine, 4-5 minutes for all six, which
  // the drain's steady windows leave no room for in the default run. The
  // default is half that, in the first round only; --depth=1000000 runs the
  // full size.
  depthFinished: 500_000,
  depthFuture: 500_000,
  depthRounds: 1,
  floorCount: 1000,
  pollIntervalMs: 1000,
  // Issue 12: bulk enqueue of 10,000 tasks against 10,000 single enqueues.
  bulkCount: 10_000,
}

const QUICK = {
  ...FULL,
  rounds: 1,
  enqueueCount: 500,
  drainTasks: 5000,
  drainTasksPolled: 1000,
  drain: { coldMs: 1000, warmupMs: 1000, warmupShare: 0.2, steadyMs: 2000 },
  latencyCount: 40,
  depthFinished: 50_000,
  depthFuture: 50_000,
  floorCount: 300,
  bulkCount: 1000,
}

export const HELP = `usage: node run.js [--quick] [--only=a,b] [--rounds=N] [--no-docs]

  --quick        small sizes, short drain windows, one round: a trial run
  --only=LIST    comma-separated system names and/or scenario names to run,
                 e.g. --only=sa-postgres,graphile or --only=enqueue,floors
  --rounds=N     override the number of interleaved rounds
  --steady=S     seconds of steady state each drain measures (default 10)
  --drain=N      tasks each drain starts with (default 150000)
  --depth=N      rows of each kind (finished, far-future) for the depth scenario
  --depth-rounds=N  rounds that run the depth scenario (default 1)
  --dist=DIR     benchmark this build of sequelize-async instead of ../dist
  --no-docs      do not rewrite docs/benchmarks.md (results JSON is still written)`

/** A bad command line: run.js prints its message and the usage, no stack. */
export class UsageError extends Error {
  name = 'UsageError'
}

function count(name, value) {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name}=${value}: expected a positive number`)
  return n
}

function parse(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        rounds: { type: 'string' },
        steady: { type: 'string' },
        drain: { type: 'string' },
        depth: { type: 'string' },
        'depth-rounds': { type: 'string' },
        'no-docs': { type: 'boolean', default: false },
        dist: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    })
  } catch (err) {
    throw new UsageError(err.message)
  }
}

export function readOptions(argv = process.argv.slice(2)) {
  const { values } = parse(argv)
  if (values.help) {
    console.log(HELP)
    process.exit(0)
  }
  const base = values.quick ? QUICK : FULL
  const sizes = { ...base, drain: { ...base.drain } }
  if (values.rounds) sizes.rounds = count('rounds', values.rounds)
  if (values.steady) sizes.drain.steadyMs = count('steady', values.steady) * 1000
  if (values.drain) sizes.drainTasks = count('drain', values.drain)
  if (values.depth) sizes.depthFinished = sizes.depthFuture = count('depth', values.depth)
  if (values['depth-rounds']) sizes.depthRounds = count('depth-rounds', values['depth-rounds'])
  const only = values.only
    ? values.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : []
  return { quick: values.quick, only, writeDocs: !values['no-docs'], dist: values.dist, sizes }
}

// Calls a pooled scenario makes in one round, so that all rounds together
// make the stated number (the enqueue and latency percentiles are computed
// over the pool).
export function perRound(total, sizes) {
  return Math.ceil(total / sizes.rounds)
}
