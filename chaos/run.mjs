// npm run chaos [-- --short] [--dialect=sqlite,postgres,mysql]
// On every dialect: 4 worker processes drain the tasks while a driver kills
// and restarts workers and takes the database down once; then it checks that
// no task was lost, none finished twice, and every re-run had a cause.
// Exits 1 if any check fails on any dialect. See docs/chaos.md.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { availableDialects, createDb, waitForServer } from './db.mjs'
import { gather } from './evidence.mjs'
import { check } from './checks.mjs'
import { printReport } from './report.mjs'
import { selfTest } from './selftest.mjs'

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    dialect: { type: 'string' },
    tasks: { type: 'string' },
    keep: { type: 'boolean', default: false },
    calm: { type: 'boolean', default: false }, // no kills and no outage: a baseline
    dist: { type: 'string' }, // another build to test (default: this checkout's dist/)
  },
})

const settings = {
  tasks: Number(values.tasks ?? (values.short ? 2000 : 20_000)),
  windowMs: values.short ? 25_000 : 120_000, // tasks fall due evenly over this time
  // No fixed time limit (a machine shared with test runs drains several times
  // slower): the run fails if no task became final for stallMs after the
  // window, or after maxMs in all.
  stallMs: 90_000,
  maxMs: values.short ? 15 * 60_000 : 60 * 60_000,
  workers: 4,
  concurrency: 4,
  leaseMs: 2000,
  killEvery: values.short ? [1500, 3000] : [2000, 4000],
  termEvery: values.short ? [4000, 7000] : [5000, 9000],
  minUptimeMs: 2000, // a worker is killed or stopped only after working this long
  outageAt: 0.35, // share of the window after which the database goes down
  corrupt: values.calm ? 0 : values.short ? 20 : 100, // corrupt rows written while it drains (corrupt.mjs)
  calm: values.calm,
}

// Snapshot dist/ (see package.mjs); under node_modules so the copy still
// resolves sequelize and the drivers from this checkout.
const root = fileURLToPath(new URL('..', import.meta.url))
const cache = join(root, 'node_modules', '.cache')
mkdirSync(cache, { recursive: true })
const snapshot = mkdtempSync(join(cache, 'sequelize-async-chaos-'))
cpSync(values.dist ?? join(root, 'dist'), snapshot, { recursive: true })
writeFileSync(join(snapshot, 'package.json'), '{ "type": "module" }\n')
process.env.CHAOS_DIST = join(snapshot, 'index.js')
process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }))
// Ctrl-C or a CI timeout: exit through the handler above; the workers see
// their IPC channel close and stop on their own (worker.mjs).
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))
const { prepare, unleash } = await import('./driver.mjs')

const log = (line) => console.log(line)

async function runDialect(dialect) {
  const t0 = Date.now()
  const dir = mkdtempSync(join(tmpdir(), `sequelize-async-chaos-${dialect}-`))
  const db = await createDb(dialect, dir)
  log(`== ${dialect}: ${settings.tasks} tasks in database ${db.name}, files in ${dir}`)
  const { sequelize, AsyncTask, enqueueMs } = await prepare(db, settings)
  log(`  ${dialect}: enqueued in ${enqueueMs} ms; workers start`)
  const outcome = await unleash(db, AsyncTask, { ...settings, dir, total: settings.tasks, log })
  if (dialect !== 'sqlite') await waitForServer(dialect)
  const evidence = await gather(sequelize, AsyncTask, dir, outcome.procs)
  const results = check(evidence, { total: settings.tasks, leaseMs: settings.leaseMs, ...outcome })
  const ok = results.every((r) => r.ok)
  printReport({ dialect, settings, outcome, evidence, results, seconds: (Date.now() - t0) / 1000 })
  await sequelize.close()
  if (ok && !values.keep) {
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  } else log(`  kept for a look: database ${db.name}, files in ${dir}`)
  return { dialect, ok, seconds: (Date.now() - t0) / 1000 }
}

const dialects = values.dialect ? values.dialect.split(',') : availableDialects()
log(
  `chaos${values.short ? ' --short' : ''}: ${dialects.join(', ')} on ${cpus().length} cores, ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
)
const missed = selfTest()
if (missed.length > 0) {
  log(`✘ the checks let these made-up defects through: ${missed.join('; ')}`)
  process.exit(1)
}
log('checks self-test: each made-up defect (lost, finished twice, re-run without a cause …) fails')
const summary = []
for (const dialect of dialects) {
  try {
    summary.push(await runDialect(dialect))
  } catch (err) {
    log(`✘ ${dialect}: the chaos run itself failed: ${err.stack}`)
    summary.push({ dialect, ok: false, seconds: NaN })
  }
}
log('')
for (const s of summary) log(`${s.ok ? 'PASS' : 'FAIL'} ${s.dialect} (${s.seconds.toFixed(0)} s)`)
process.exit(summary.every((s) => s.ok) ? 0 : 1)
