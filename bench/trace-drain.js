// Where a worker's time goes per task: one started worker at concurrency 1
// drains no-op tasks in the same process. After a warm-up of 2,000 tasks it
// prints, for the next ten:
//   - each task's phases between the worker's own events: success → start
//     (the previous task's `task:success` to this one's `task:start`: the
//     claim, and the record load where the worker loads records with the
//     claim), start → method (the load, where it happens after
//     `task:start`) and method → success (the outcome write);
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
    if (tracing) phases.push({ toStart: performance.now() - mark })
    mark = performance.now()
  })
  Order.onNoop = () => {
    if (tracing) phases[phases.length - 1].toMethod = performance.now() - mark
    mark = performance.now()
  }
  worker.on('task:success', () => {
    if (tracing) phases[phases.length - 1].toSuccess = performance.now() - mark
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
console.log('\nper task, ms: success → start | start → method | method → success | total')
for (const p of phases) {
  const total = (p.toStart ?? 0) + (p.toMethod ?? 0) + (p.toSuccess ?? 0)
  console.log(
    `${f(p.toStart).padStart(15)} | ${f(p.toMethod).padStart(14)} | ${f(p.toSuccess).padStart(16)} | ${f(total)}`,
  )
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
