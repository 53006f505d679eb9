// Bulk enqueue against one-by-one enqueues, on one dialect (issue 12: at
// least 10× the rate for 10,000 tasks on every dialect):
//   - one-by-one: 10,000 sequential `order.async('noop', { args: [i] })`;
//   - bulk: one `tasks.enqueueMany()` of the same 10,000 tasks (one
//     transaction, one multi-row INSERT per chunk of 1,000).
// Each is run ROUNDS times, alternating, on an emptied task table; the
// figure is the median rate of each and their ratio.
//
//   npm run build && node bench/bulk-enqueue.js [sqlite|postgres|mysql] [count] [rounds]
//
// Databases: see local-app.js (every table of the target database is dropped).
import os from 'node:os'
import { openLocalApp } from './local-app.js'

const dialect = process.argv[2] ?? 'sqlite'
const COUNT = Number(process.argv[3] ?? 10_000)
const ROUNDS = Number(process.argv[4] ?? 3)
const { sequelize, tasks, order } = await openLocalApp(dialect, 'bulk-enqueue')

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function timed(fn) {
  await tasks.AsyncTask.destroy({ where: {} })
  const t = performance.now()
  await fn()
  const seconds = (performance.now() - t) / 1000
  const stored = await tasks.AsyncTask.count()
  if (stored !== COUNT) throw new Error(`stored ${stored} tasks, expected ${COUNT}`)
  return COUNT / seconds
}

const oneByOne = async () => {
  for (let i = 0; i < COUNT; i++) await order.async('noop', { args: [i] })
}
const bulk = () =>
  tasks.enqueueMany(
    Array.from({ length: COUNT }, (_, i) => ({ target: order, action: 'noop', args: [i] })),
  )

// Warm-up (not measured): pools, JIT, the server's caches.
for (let i = 0; i < 200; i++) await order.async('noop')
await tasks.enqueueMany(Array.from({ length: 1000 }, () => ({ target: order, action: 'noop' })))

const rates = { single: [], bulk: [] }
for (let round = 0; round < ROUNDS; round++) {
  rates.single.push(await timed(oneByOne))
  rates.bulk.push(await timed(bulk))
}
const single = median(rates.single)
const many = median(rates.bulk)
const f = (x) => x.toFixed(0)
console.log(
  `${dialect}: ${COUNT} tasks, median of ${ROUNDS} — one-by-one ${f(single)}/s ` +
    `(${rates.single.map(f).join(', ')}), enqueueMany ${f(many)}/s ` +
    `(${rates.bulk.map(f).join(', ')}), ratio ${(many / single).toFixed(1)}× ` +
    `[load ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} cores]`,
)
await sequelize.close()
