// Where a worker's time goes per task: one started worker at concurrency 1
// drains no-op tasks in the same process; after a warm-up of 2,000 tasks
// the statements of the next ten are printed with the milliseconds since the
// previous statement finished (Sequelize's `benchmark` timings), and the
// average rate over the first 2,010 tasks (start-up and JIT warm-up included).
//
//   npm run build && node bench/trace-drain.js [sqlite|postgres|mysql]
//
// Databases: see local-app.js (every table of the target database is dropped).
import { openLocalApp } from './local-app.js'

const dialect = process.argv[2] ?? 'sqlite'
let trace = null
const logging = (sql, ms) => {
  if (trace) trace.push([performance.now(), ms, sql.replace(/\s+/g, ' ').slice(20, 70)])
}
const { sequelize, tasks, order } = await openLocalApp(dialect, 'trace', {
  logging,
  benchmark: true,
})
for (let i = 0; i < 2100; i++) await order.async('noop')

const worker = tasks.createWorker({ concurrency: 1 })
let n = 0
const traced = new Promise((resolve) =>
  worker.on('task:success', () => {
    if (++n === 2000) trace = []
    if (n === 2010) resolve()
  }),
)
const t0 = performance.now()
await worker.start()
await traced
const rate = (2010 / (performance.now() - t0)) * 1000
const lines = trace.slice(0, 31)
await worker.stop()
await sequelize.close()
console.log(`${dialect}: ${rate.toFixed(0)} tasks/s over the first 2,010 tasks at concurrency 1`)
console.log('ms since previous | statement ms | statement')
for (let i = 1; i < lines.length; i++) {
  const [t, ms, sql] = lines[i]
  console.log(
    `${(t - lines[i - 1][0]).toFixed(2).padStart(6)} | ${String(ms).padStart(3)} | ${sql}`,
  )
}
