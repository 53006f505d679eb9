// One worker at concurrency 10 draining N no-op tasks in this process (no
// other process, no start-up in the figure): tasks/s from the worker's start
// to the last success. A quick A/B for hot-path changes; for a CPU profile
// add --cpu-prof. Not part of `npm run bench`.
//
//   npm run build && N=8000 node bench/prof-drain.mjs [postgres|mysql|sqlite] [--unprepared]
//
// --unprepared: installAsync({ preparedStatements: false }) (PostgreSQL).
// KEYS=100: the tasks carry a `concurrencyKey` spread over 100 keys of limit
// 1; KEYS=hot: all on one key of limit 10 (the worker's concurrency). They
// are written blocked, as the bench's keyed drains are; the worker's upkeep
// admits the first of each key and every outcome hands its permit on.
// PLANS=1 (PostgreSQL): also prints, per prepared statement of the pooled
// connections, how often it ran on a generic plan and how often it was
// planned afresh (a statement planned on every call costs server CPU).
// STATEMENTS=1: also prints each statement text's count per task and mean
// time (statement-timer.js; the wrapper costs CPU, so read rates without it).
// Also prints the CPU time per task of this process and, on Linux, of the
// database server's processes (read from /proc; the server must run on this
// machine): where a drain's CPU goes, worker against server.
// Databases: see local-app.js (every table of the target database is dropped).
import { readdirSync, readFileSync } from 'node:fs'
import { openLocalApp } from './local-app.js'
import { timeStatements } from './statement-timer.js'

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
const keys = process.env.KEYS
const common =
  'object_type, object_id, action, args, priority, scheduled_at, status, queue, created_at, updated_at'
const n = dialect === 'postgres' ? 'generate_series' : 'n.i'
const keyed =
  keys === undefined
    ? null
    : keys === 'hot'
      ? { key: "'hot'", limit: 10 }
      : {
          key:
            dialect === 'mysql'
              ? `CONCAT('k', ${n} % ${Number(keys)})`
              : `'k' || (${n} % ${Number(keys)})`,
          limit: 1,
        }
const columns = keyed ? `${common}, ready, concurrency_key, concurrency_limit` : `${common}, ready`
const values = keyed ? `${common}, 2, ${keyed.key}, ${keyed.limit}` : `${common}, ready`
const copies =
  dialect === 'postgres'
    ? `SELECT ${values} FROM async_tasks, generate_series(1, ${N - 1})`
    : `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${N - 1})
       SELECT ${values} FROM async_tasks, n`
if (keyed) {
  // The template task runs too (N in all), blocked behind a key like the copies.
  await sequelize.query(
    `UPDATE async_tasks SET ready = 2, concurrency_key = ${keyed.key.replace(/generate_series|n\.i/g, '0')}, concurrency_limit = ${keyed.limit}`,
  )
}
await sequelize.transaction(async (transaction) => {
  if (dialect === 'mysql') {
    // MySQL and MariaDB name the recursion cap differently; one of the two fails.
    for (const cap of ['cte_max_recursion_depth', 'max_recursive_iterations'])
      await sequelize.query(`SET SESSION ${cap} = 1000000`, { transaction }).catch(() => {})
  }
  await sequelize.query(`INSERT INTO async_tasks (${columns}) ${copies}`, { transaction })
})
const statements = new Map()
if (process.env.STATEMENTS) {
  timeStatements(dialect, ({ sql, ms }) => {
    const text = sql.replace(/\s+/g, ' ').slice(0, 90)
    const entry = statements.get(text) ?? { count: 0, ms: 0 }
    entry.count++
    entry.ms += ms
    statements.set(text, entry)
  })
}
let done = 0
const worker = tasks.createWorker({
  concurrency: Number(process.env.CONCURRENCY ?? 10),
  pollInterval: 1000,
  ...(process.env.QUEUES ? { queues: process.env.QUEUES.split(',') } : {}),
})
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
for (const [text, { count, ms }] of [...statements].sort((a, b) => b[1].ms - a[1].ms)) {
  if (count < N / 100) continue
  console.log(`${(count / N).toFixed(2)}/task ${(ms / count).toFixed(2)} ms  ${text}`)
}
await worker.stop()
if (process.env.PLANS && dialect === 'postgres') {
  const manager = sequelize.connectionManager
  const conns = await Promise.all(
    Array.from({ length: 10 }, () => manager.getConnection({ type: 'write' })),
  )
  const plans = new Map()
  for (const conn of conns) {
    const { rows } = await conn.query(
      'SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements',
    )
    for (const row of rows) {
      const text = row.statement.replace(/\s+/g, ' ').slice(0, 80)
      const entry = plans.get(text) ?? { generic: 0, custom: 0 }
      entry.generic += Number(row.generic_plans)
      entry.custom += Number(row.custom_plans)
      plans.set(text, entry)
    }
  }
  for (const conn of conns) await manager.releaseConnection(conn)
  for (const [text, { generic, custom }] of plans)
    console.log(`generic ${generic} custom ${custom}  ${text}`)
}
await sequelize.close()
