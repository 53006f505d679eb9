// A quick in-process figure of sequelize-async alone, no peers needed:
// N sequential `order.async('noop')` calls (p50/p99 and calls/s), then one
// worker in the same process (started, as a daemon runs it) drains them at
// concurrency C.
//
//   npm run build && node bench/in-process.js [sqlite|postgres|mysql] [N=2000] [C=10] \
//     [--batch] [--prefetch=P]
//
// Databases: see local-app.js (every table of the target database is dropped).
import { openLocalApp } from './local-app.js'

const [dialect = 'sqlite', n = '2000', c = '10'] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
const batch = process.argv.includes('--batch')
const prefetch = Number(process.argv.find((a) => a.startsWith('--prefetch='))?.slice(11) ?? 0)
const N = Number(n)
const { sequelize, tasks, order } = await openLocalApp(dialect, 'in-process', {
  pool: { max: Number(c) + 2 },
})

const latencies = []
let started = performance.now()
for (let i = 0; i < N; i++) {
  const t = performance.now()
  await order.async('noop')
  latencies.push(performance.now() - t)
}
const enqueueSeconds = (performance.now() - started) / 1000
latencies.sort((a, b) => a - b)
const at = (p) => latencies[Math.min(N - 1, Math.floor(N * p))].toFixed(2)

const worker = tasks.createWorker({
  concurrency: Number(c),
  listen: false,
  batchCompletions: batch,
  prefetch,
})
let succeeded = 0
const drained = new Promise((resolve) =>
  worker.on('task:success', () => ++succeeded === N && resolve()),
)
started = performance.now()
await worker.start()
await drained
const drainSeconds = (performance.now() - started) / 1000
await worker.stop()
const counts = { succeeded }
const mode = [batch && 'batchCompletions', prefetch && `prefetch ${prefetch}`].filter(Boolean)
console.log(
  `${dialect}: enqueue p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, ${Math.round(N / enqueueSeconds)}/s; ` +
    `drain ${counts.succeeded} at concurrency ${c}${mode.length ? ` (${mode.join(', ')})` : ''}: ${Math.round(counts.succeeded / drainSeconds)} tasks/s`,
)
await sequelize.close()
