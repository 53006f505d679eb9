// Where a worker's time goes per task: one started worker at concurrency 1
// drains no-op tasks in the same process; after a warm-up of 2,000 tasks
// the statements of the next ten are printed with the milliseconds since the
// previous statement finished (Sequelize's `benchmark` timings), and the
// average rate over the first 2,010 tasks (start-up and JIT warm-up included).
//
//   npm run build && node bench/trace-drain.js [sqlite|postgres|mysql]
//
// PostgreSQL and MySQL use ASYNC_TEST_POSTGRES_URL / ASYNC_TEST_MYSQL_URL
// (default: the local servers' `test` databases); the tables are dropped first.
import { DataTypes, Model, Sequelize } from 'sequelize'
import { installAsync } from '../dist/index.js'

const dialect = process.argv[2] ?? 'sqlite'
const urls = {
  postgres: process.env.ASYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.ASYNC_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
}
let trace = null
const logging = (sql, ms) => {
  if (trace) trace.push([performance.now(), ms, sql.replace(/\s+/g, ' ').slice(20, 70)])
}
const options = { logging, benchmark: true }
const sequelize =
  dialect === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: '/tmp/sequelize-async-trace.sqlite', ...options })
    : new Sequelize(urls[dialect], options)
class Order extends Model {
  noop() {}
}
Order.init({ total: DataTypes.INTEGER }, { sequelize })
const tasks = installAsync(sequelize, { logger: { info() {}, error: console.error } })
await sequelize.getQueryInterface().dropAllTables()
await tasks.migrate()
await sequelize.sync()
const order = await Order.create({ total: 1 })
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
