// Where a worker's time goes per task: one started worker at concurrency 1
// drains no-op tasks in the same process. After a warm-up of 2,000 tasks it
// prints, for the next ten:
//   - each task's phases from the worker's own events: claim (previous
//     task's success → task:start), load (task:start → the method runs) and
//     outcome (method → task:success);
//   - every statement sent to the database meanwhile, timed at the driver
//     (statement-timer.js), so raw driver calls show as well as Sequelize's,
//     with the milliseconds since the previous statement finished;
// and the average rate over the first 2,010 tasks (start-up and JIT warm-up
// included).
//
//   npm run build && node bench/trace-drain.js [sqlite|postgres|mysql]
//
// Databases: see local-app.js (every table of the target database is dropped).
import { openLocalApp } from './local-app.js'
import { timeStatements } from './statement-timer.js'

const WARM_UP = 2000
const TRACED = 10
const dialect = process.argv[2] ?? 'sqlite'
const { sequelize, tasks, Order, order } = await openLocalApp(dialect, 'trace')
for (let i = 0; i < WARM_UP + TRACED + 90; i++) await order.async('noop')

let tracing = false
const statements = []
const phases = []
let mark = 0
const stopTiming = timeStatements(dialect, (s) => tracing && statements.push(s))
const worker = tasks.createWorker({ concurrency: 1 })
let n = 0
const traced = new Promise((resolve) => {
  worker.on('task:start', () => {
    if (tracing) phases.push({ claim: performance.now() - mark })
    mark = performance.now()
  })
  Order.onNoop = () => {
    if (tracing) phases[phases.length - 1].load = performance.now() - mark
    mark = performance.now()
  }
  worker.on('task:success', () => {
    if (tracing) phases[phases.length - 1].outcome = performance.now() - mark
    mark = performance.now()
    if (++n === WARM_UP) tracing = true
    if (n === WARM_UP + TRACED) resolve()
  })
})
const t0 = performance.now()
await worker.start()
await traced
tracing = false
const rate = ((WARM_UP + TRACED) / (performance.now() - t0)) * 1000
await worker.stop()
stopTiming()
await sequelize.close()

const f = (x) => (x == null ? '    –' : x.toFixed(2).padStart(5))
console.log(`${dialect}: ${rate.toFixed(0)} tasks/s over the first 2,010 tasks at concurrency 1`)
console.log('\nper task, ms: claim | load | outcome | total')
for (const p of phases) {
  const total = (p.claim ?? 0) + (p.load ?? 0) + (p.outcome ?? 0)
  console.log(`${f(p.claim)} | ${f(p.load)} | ${f(p.outcome)} | ${f(total)}`)
}
console.log(
  `\nstatements (${statements.length}): ms since the previous one finished (negative: overlapping, e.g. a heartbeat) | statement ms | statement`,
)
let previousEnd = statements[0] ? statements[0].started : 0
for (const s of statements) {
  const sql = s.sql.replace(/\s+/g, ' ').trim().slice(0, 90)
  console.log(`${f(s.started - previousEnd)} | ${f(s.ms)} | ${sql}`)
  previousEnd = s.started + s.ms
}
