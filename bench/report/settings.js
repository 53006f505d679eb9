// The "Machine and versions" and "Settings" sections of docs/benchmarks.md:
// how every figure of the run was measured, in the run's own numbers.

const n = (x) => x.toLocaleString('en-US')
const s = (ms) => `${ms / 1000} s`

function drainSettings(z) {
  const d = z.drain
  return [
    `- drain: ${n(z.drainTasks)} tasks enqueued up front (pg-boss: ${n(z.drainTasksPolled)}; it runs one job per loop per poll interval) as bulk copies of a row the system's own enqueue call wrote (\`INSERT … SELECT\` for the SQL systems, a Lua script for BullMQ), then worker processes × concurrency ${z.drainSettings.map(([p, c]) => `${p} × ${c}`).join(', ')} start together; handlers are counted in the workers and completion is confirmed in the store. One run per round gives two figures:`,
    `  - **steady state**: tasks/s from the end of warm-up (${s(d.warmupMs)} after the start signal, or ${d.warmupShare * 100}% of the tasks done if that comes first) over the next ${s(d.steadyMs)}, or to completion if the drain finishes sooner (marked †). The run stops there. The targets read these figures.`,
    `  - **cold start**: tasks completed in the first ${s(d.coldMs)} after the start signal ÷ ${s(d.coldMs)} (start-up, connection and JIT warm-up of fresh worker processes included); start signal → completion where the drain finished sooner (marked ✓).`,
    `- "same work": graphile-worker and pg-boss with a handler that runs \`await Order.findByPk(payload.id)\` through a Sequelize instance (one per worker process, pool = concurrency, the peer's own \`pg\`) on the same \`Orders\` table as ours; our task, \`order.async('noop')\`, loads that record before calling the method. Their bare rows run a no-op handler.`,
    `- worker memory: peak RSS (\`getrusage\`) of each worker process over its drain; the drain tables give each system's highest. The baseline is a process with Sequelize, the dialect's driver and the \`Order\` model running \`Order.findByPk\` in 10 loops (pool 12, as our worker's) for as long as a drain runs, with no queue; our worker at 1 × 10 is compared with it.`,
  ]
}

export function settingsSection(run) {
  const z = run.options.sizes
  return [
    `- ${z.rounds} interleaved round(s) (every system once per scenario per round, order rotated each round); figures are medians over rounds.${run.options.quick ? ' **Quick run (`--quick`): reduced sizes and drain windows, not comparable with a full run.**' : ''}`,
    `- enqueue: ${n(z.enqueueCount)} sequential single enqueues after 50 warm-up calls; sequelize-async calls \`order.async('noop')\`.`,
    ...drainSettings(z),
    `- bulk (sequelize-async only): ${n(z.bulkCount)} sequential \`order.async('noop', { args: [i] })\` calls against one \`tasks.enqueueMany()\` of the same ${n(z.bulkCount)} tasks, each on a fresh database after a warm-up; the ratio is bulk ÷ one by one.`,
    `- latency: 1 worker process × concurrency 1, idle; one enqueue every ${z.latencyEveryMs} ms, ${n(z.latencyCount)} times; enqueue call → handler start (for "same work", handler start = after the record load, as for ours).`,
    `- depth: ${n(z.depthFinished)} finished + ${n(z.depthFuture)} far-future (1 year) tasks bulk-inserted and written out (PostgreSQL \`CHECKPOINT\`, InnoDB dirty pages flushed, SQLite WAL checkpoint; counted in populate s) but **not analyzed** (PostgreSQL's autovacuum may analyze on its own, as in production), then the drain (1 × 10) and the enqueue scenario again, compared with the empty-table figures of the same round(s); ${z.depthRounds === z.rounds ? 'every round' : `first ${z.depthRounds} round(s) only`}${z.depthFinished < 1_000_000 ? ' (the issue asks for 1,000,000 of each; writing them costs 4–5 minutes for all systems, more than the default run has room for; `--depth=1000000` runs the full size)' : ''}.`,
    `- floors: ${n(z.floorCount)} single-row INSERT and UPDATE commits from one connection (autocommit), same durability settings as the systems (PostgreSQL \`synchronous_commit=on\`, InnoDB \`innodb_flush_log_at_trx_commit=1\`, SQLite WAL with \`synchronous=FULL\`).`,
    `- poll interval ${z.pollIntervalMs} ms for every system that polls (sequelize-async \`pollInterval\`, graphile-worker \`pollInterval\`, pg-boss \`pollingIntervalSeconds\`); BullMQ blocks on Redis instead.`,
    '- Each system has its own database, dropped and recreated before every step. Per-task log lines are off in every system.',
    '- Batched modes (drain only): sequelize-async `createWorker({ batchCompletions: true, prefetch: 100 })` (claims up to 100 tasks ahead and records successes that finish together in one statement); graphile-worker `localQueue.size = 100`, `completeJobBatchDelay = 0`. pg-boss: default `batchSize` 1, one `work()` loop per unit of concurrency.',
  ].join('\n')
}

export function machineSection(run) {
  const m = run.machine
  const pk = Object.entries(m.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return [
    `- ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- Node ${m.node}; PostgreSQL ${m.servers.postgres}; MariaDB ${m.servers.mariadb}; SQLite ${m.servers.sqlite}; Redis ${m.servers.redis}`,
    `- ${pk}; sequelize-async build under test: \`${run.options.dist ?? 'dist/ of the repository'}\``,
    `- Run of ${run.date}, ${(run.totalSeconds / 60).toFixed(1)} minutes in all; 1-minute load average ${m.loadAtStart?.toFixed(1) ?? '?'} at the start, ${m.loadAverage?.toFixed(1) ?? '?'} at the end (the benchmark's own processes)${(m.loadAtStart ?? 0) > 1 ? ' (**other work was running on the machine when it started: figures are noisier than usual**)' : ''}.`,
  ].join('\n')
}
