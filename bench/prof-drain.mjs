// One worker at concurrency 10 draining N no-op tasks in this process (no
// other process, no start-up in the figure): tasks/s from the worker's start
// to the last success. A quick A/B for hot-path changes; for a CPU profile
// add --cpu-prof. Not part of `npm run bench`.
//
//   npm run build && N=8000 node bench/prof-drain.mjs [postgres|mysql|sqlite] [--unprepared]
//
// --unprepared: installAsync({ preparedStatements: false }) (PostgreSQL).
// Databases: see local-app.js (every table of the target database is dropped).
import { openLocalApp } from './local-app.js'

const N = Number(process.env.N ?? 8000)
const dialect = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'postgres'
const install = process.argv.includes('--unprepared') ? { preparedStatements: false } : {}
const { sequelize, tasks, order } = await openLocalApp(
  dialect,
  'prof',
  { pool: { max: 12 } },
  install,
)
await order.async('noop')
const columns =
  'object_type, object_id, action, args, priority, scheduled_at, status, queue, created_at, updated_at, ready'
const copies =
  dialect === 'postgres'
    ? `SELECT ${columns} FROM async_tasks, generate_series(1, ${N - 1})`
    : `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N - 1})
       SELECT ${columns} FROM async_tasks, n`
await sequelize.transaction(async (transaction) => {
  if (dialect === 'mysql') {
    // MySQL and MariaDB name the recursion cap differently; one of the two fails.
    for (const cap of ['cte_max_recursion_depth', 'max_recursive_iterations'])
      await sequelize.query(`SET SESSION ${cap} = 1000000`, { transaction }).catch(() => {})
  }
  await sequelize.query(`INSERT INTO async_tasks (${columns}) ${copies}`, { transaction })
})
let done = 0
const worker = tasks.createWorker({ concurrency: 10, pollInterval: 1000 })
const started = performance.now()
await new Promise((resolve) => {
  worker.on('task:success', () => ++done >= N && resolve())
  void worker.start()
})
const seconds = (performance.now() - started) / 1000
console.log(
  `${dialect}${install.preparedStatements === false ? ' (unprepared)' : ''}: ` +
    `${N} tasks in ${seconds.toFixed(1)} s = ${Math.round(N / seconds)} tasks/s`,
)
await worker.stop()
await sequelize.close()
