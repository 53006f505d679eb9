// What every engine runs, built from the chaos harness (chaos/*.mjs): a
// drain under chaos with the audit (no task lost, none finished twice, every
// re-run with a cause), and a calm drain of quick tasks for throughput.
// The engine decides where each worker runs (placeWorker) and what the
// outage is (a restart behind the pooler, a link cut, a leader killed).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prepare, unleash } from '../chaos/driver.mjs'
import { gather } from '../chaos/evidence.mjs'
import { check } from '../chaos/checks.mjs'
import { printReport } from '../chaos/report.mjs'
import { connect } from '../chaos/db.mjs'

const log = (line) => console.log(line)

export function chaosSettings(short, over = {}) {
  return {
    tasks: short ? 1000 : 4000,
    windowMs: short ? 15_000 : 40_000,
    stallMs: 90_000,
    maxMs: short ? 8 * 60_000 : 30 * 60_000,
    workers: 4,
    concurrency: 4,
    leaseMs: 2000,
    killEvery: short ? [3000, 5000] : [3000, 6000],
    termEvery: short ? [5000, 8000] : [6000, 10_000],
    minUptimeMs: 2000,
    outageAt: 0.35,
    corrupt: short ? 10 : 40,
    calm: false,
    ...over,
  }
}

/**
 * A chaos drain of `db` (a chaos-style db object); resolves with
 * { ok, results, rows } where rows are the lines for the closing table.
 */
export async function chaosDrain(label, db, settings, { placeWorker, outage, monitor } = {}) {
  const t0 = Date.now()
  const dir = mkdtempSync(join(tmpdir(), `sequelize-async-cluster-${label}-`))
  log(`== ${label}: ${settings.tasks} tasks, ${settings.workers} workers, files in ${dir}`)
  const { sequelize, AsyncTask } = await prepare(db, settings)
  const watch = monitor?.start()
  const outcome = await unleash(db, AsyncTask, {
    ...settings,
    dir,
    total: settings.tasks,
    log: (line) => log(line.replace(db.dialect, label)),
    placeWorker,
    outage,
  })
  const seen = await watch?.stop()
  const evidence = await gather(sequelize, AsyncTask, dir, outcome.procs)
  const results = check(evidence, { total: settings.tasks, leaseMs: settings.leaseMs, ...outcome })
  const ok = results.every((r) => r.ok)
  printReport({
    dialect: label,
    settings,
    outcome,
    evidence,
    results,
    seconds: (Date.now() - t0) / 1000,
  })
  await sequelize.close()
  if (ok && !process.env.CLUSTER_KEEP) rmSync(dir, { recursive: true, force: true })
  else log(`  kept for a look: files in ${dir}`)
  const lost = results[0].value
  const twice = results[1].value
  return {
    ok,
    evidence,
    outcome,
    results,
    seen,
    summary: `${label}: ${ok ? 'PASS' : 'FAIL'} lost ${lost}, twice ${twice}, ${evidence.executions.length} runs for ${settings.tasks + settings.corrupt} tasks, drained in ${(outcome.drainedMs / 1000).toFixed(0)} s`,
  }
}

/**
 * A calm drain of `tasks` quick tasks, all due at once, by the workers
 * `placeWorker` puts; throughput from the first to the last execution.
 */
export async function throughput(
  label,
  db,
  { tasks, workers, concurrency = 4, placeWorker, monitor },
) {
  const settings = {
    ...chaosSettings(true),
    tasks,
    windowMs: 0,
    workers,
    concurrency,
    corrupt: 0,
    calm: true,
  }
  const dir = mkdtempSync(join(tmpdir(), `sequelize-async-cluster-${label}-`))
  const { sequelize, AsyncTask } = await prepare(db, { ...settings, kind: () => 'fast' })
  const watch = monitor?.start()
  const outcome = await unleash(db, AsyncTask, {
    ...settings,
    dir,
    total: tasks,
    log: () => undefined,
    placeWorker,
  })
  const seen = await watch?.stop()
  const evidence = await gather(sequelize, AsyncTask, dir, outcome.procs)
  const results = check(evidence, { total: tasks, leaseMs: settings.leaseMs, ...outcome })
  await sequelize.close()
  rmSync(dir, { recursive: true, force: true })
  const times = evidence.executions.map((e) => e.t).sort((a, b) => a - b)
  const seconds = (times.at(-1) - times[0]) / 1000
  const rate = evidence.executions.length / seconds
  const ok = results.every((r) => r.ok)
  return { ok, rate, seconds, executions: evidence.executions.length, seen, results }
}

/** Samples `count()` every second while a drain runs; stop() resolves with the largest value. */
export function sampler(count) {
  return {
    start() {
      let max = 0
      let running = true
      const loop = (async () => {
        while (running) {
          try {
            max = Math.max(max, await count())
          } catch {
            // the server is away (an outage): no sample
          }
          await new Promise((resolve) => setTimeout(resolve, 1000))
        }
      })()
      return {
        async stop() {
          running = false
          await loop
          return max
        },
      }
    },
  }
}

/** A Sequelize connection to `url` for the harness's own queries. */
export const open = (url) => connect({ url }, { pool: { max: 2 } })
