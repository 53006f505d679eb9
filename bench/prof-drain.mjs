// One worker at concurrency 10 draining N no-op tasks in this process (no
// other process, no start-up in the figure): tasks/s from the worker's start
// to the last success. A quick A/B for hot-path changes; for a CPU profile
// add --cpu-prof. Not part of `npm run bench`.
//
//   npm run build && N=8000 node bench/prof-drain.mjs [postgres|mysql|sqlite] [--unprepared]
//
// --unprepared: installAsync({ preparedStatements: false }) (PostgreSQL).
// Also prints the CPU time per task of this process and, on Linux, of the
// database server's processes (read from /proc; the server must run on this
// machine): where a drain's CPU goes, worker against server.
// Databases: see local-app.js (every table of the target database is dropped).
import { readdirSync, readFileSync } from 'node:fs'
import { openLocalApp } from './local-app.js'

/** CPU ticks (1/100 s) of the server's processes, by process name. */
function serverTicks(dialect) {
  const name = { postgres: /^postgres/, mysql: /^(mariadbd|mysqld)/ }[dialect]
  let ticks = 0
  if (!name) return ticks
  try {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
        if (!name.test(comm)) continue
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        ticks += Number(fields[11]) + Number(fields[12])
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    // No /proc: not Linux.
  }
  return ticks
}

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
const cpu0 = process.cpuUsage()
const server0 = serverTicks(dialect)
await new Promise((resolve) => {
  worker.on('task:success', () => ++done >= N && resolve())
  void worker.start()
})
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpu0)
const serverUs = ((serverTicks(dialect) - server0) * 10_000) / N
console.log(
  `${dialect}${install.preparedStatements === false ? ' (unprepared)' : ''}: ` +
    `${N} tasks in ${seconds.toFixed(1)} s = ${Math.round(N / seconds)} tasks/s; CPU per task: ` +
    `this process ${Math.round((cpu.user + cpu.system) / N)} µs` +
    (dialect === 'sqlite' ? '' : `, database server ${Math.round(serverUs)} µs`),
)
await worker.stop()
await sequelize.close()
