// What a Prometheus scrape of tasks.metrics() costs as the table grows: the
// median of 5 calls after one warm-up, (1) over 1M finished tasks and 1,000
// due ones in three queues, then (2) with a backlog of 1M more due tasks.
// Rows are written with one INSERT … SELECT over a cross join of digits
// (the same SQL on every dialect), not through enqueue.
//
//   npm run build && node bench/metrics-scrape.js [sqlite|postgres|mysql] [N=1000000]
//
// Databases: see local-app.js (every table of the target database is dropped).
import { openLocalApp } from './local-app.js'

const dialect = process.argv[2] ?? 'sqlite'
const N = Number(process.argv[3] ?? 1_000_000)
const { sequelize, tasks } = await openLocalApp(dialect, 'metrics-scrape')

const digits = Array.from({ length: 10 }, (_, i) => `SELECT ${i} AS n`).join(' UNION ALL ')
const tables = ['a', 'b', 'c', 'd', 'e', 'f'].map((t) => `(${digits}) ${t}`).join(', ')
const n = 'a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n + 100000 * f.n'

async function fill(count, due) {
  const queue = `CASE (${n}) % 3 WHEN 0 THEN 'default' WHEN 1 THEN 'mail' ELSE 'reports' END`
  await sequelize.query(
    `INSERT INTO async_tasks (object_type, action, args, queue, priority, scheduled_at, ready,
       status, success, attempts, max_attempts, interruptions, created_at, updated_at, finished_at)
     SELECT 'Order', 'noop', '[]', ${queue}, 10, :at, ${due ? 1 : 'NULL'},
       ${due ? "'pending', NULL, 0" : "'succeeded', TRUE, 1"}, 1, 0, :at, :at, ${due ? 'NULL' : ':at'}
     FROM ${tables} WHERE ${n} < :count`,
    { replacements: { at: new Date(Date.now() - 3_600_000), count } },
  )
}

async function scrape(label) {
  await tasks.metrics()
  const times = []
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    await tasks.metrics()
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  console.log(`${dialect}: ${label}: tasks.metrics() median ${times[2].toFixed(1)} ms`)
}

let t = performance.now()
await fill(N, false)
await fill(1000, true)
console.log(
  `${dialect}: wrote ${N + 1000} rows in ${((performance.now() - t) / 1000).toFixed(0)} s`,
)
await scrape(`${N} finished + 1,000 due`)
t = performance.now()
await fill(N, true)
console.log(`${dialect}: wrote ${N} due rows in ${((performance.now() - t) / 1000).toFixed(0)} s`)
await scrape(`${N} finished + ${N + 1000} due`)
await sequelize.close()
