// Deadlocks on MySQL/MariaDB under many workers: W worker processes each run
// `workOff()` (concurrency C) over N tasks, as a user's deploy script might,
// on a fresh database of the local MariaDB (or ASYNC_TEST_MYSQL_URL's
// server). Prints the server's Innodb_deadlocks and lock-wait counts during
// the run, how many workOff() calls rejected, and whether every task ran
// exactly once.
//
//   npm run build && node bench/deadlocks.js [--workers=8] [--concurrency=4] [--tasks=4000]
//   node bench/deadlocks.js --dist=/path/to/other/dist   # the same run against another build
//
// Innodb_deadlocks is server-wide: run it on a server nothing else is using.
import { fork } from 'node:child_process'
import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { DataTypes, Model, QueryTypes, Sequelize } from 'sequelize'

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    tasks: { type: 'string', default: '4000' },
    dist: { type: 'string', default: new URL('../dist', import.meta.url).pathname },
    child: { type: 'boolean', default: false },
  },
})
const server = process.env.ASYNC_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const dbUrl = (() => {
  const url = new URL(server)
  url.pathname = '/sa_deadlocks'
  return url.toString()
})()
const { installAsync, currentTask } = await import(
  pathToFileURL(resolve(values.dist, 'index.js')).href
)

function openApp() {
  const sequelize = new Sequelize(dbUrl, { logging: false, pool: { max: 10 } })
  class Order extends Model {
    async work() {
      await Execution.create({ taskId: currentTask().task.id, pid: process.pid })
    }
  }
  class Execution extends Model {}
  Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
  Execution.init({ taskId: DataTypes.INTEGER, pid: DataTypes.INTEGER }, { sequelize })
  const tasks = installAsync(sequelize, { logger: { info() {}, error() {} } })
  return { sequelize, Order, Execution, tasks }
}

if (values.child) {
  const { sequelize, tasks } = openApp()
  let result
  try {
    const counts = await tasks.createWorker({ concurrency: Number(values.concurrency) }).workOff()
    result = { ok: true, counts }
  } catch (err) {
    result = { ok: false, error: err.message }
  }
  await sequelize.close()
  process.send(result)
  process.exit(0)
}

const status = async (sequelize) => {
  const rows = await sequelize.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_deadlocks', 'Innodb_row_lock_waits')",
    { type: QueryTypes.SELECT },
  )
  return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]))
}

const admin = new Sequelize(server, { logging: false })
await admin.query('DROP DATABASE IF EXISTS sa_deadlocks')
await admin.query('CREATE DATABASE sa_deadlocks')
const app = openApp()
await app.tasks.migrate()
await app.sequelize.sync()
const order = await app.Order.create({ total: 1 })
const n = Number(values.tasks)
for (let i = 0; i < n; i++) await order.async('work')
const before = await status(admin)
const started = performance.now()
const results = await Promise.all(
  Array.from({ length: Number(values.workers) }, () => {
    const child = fork(new URL(import.meta.url).pathname, [
      '--child',
      `--concurrency=${values.concurrency}`,
      `--dist=${values.dist}`,
    ])
    return new Promise((done) => child.once('message', done))
  }),
)
const seconds = (performance.now() - started) / 1000
const after = await status(admin)
const [dup] = await app.sequelize.query(
  "SELECT COUNT(*) AS n FROM async_tasks WHERE status <> 'succeeded'",
  { type: QueryTypes.SELECT },
)
const ran = await app.Execution.count()
console.log(
  JSON.stringify(
    {
      build: values.dist,
      workers: Number(values.workers),
      concurrency: Number(values.concurrency),
      tasks: n,
      seconds: Number(seconds.toFixed(1)),
      deadlocks: after.Innodb_deadlocks - before.Innodb_deadlocks,
      lockWaits: after.Innodb_row_lock_waits - before.Innodb_row_lock_waits,
      workOffRejected: results.filter((r) => !r.ok).map((r) => r.error),
      succeeded: results.reduce((sum, r) => sum + (r.ok ? r.counts.succeeded : 0), 0),
      notSucceeded: Number(dup.n),
      executions: ran,
    },
    null,
    2,
  ),
)
await app.sequelize.close()
await admin.query('DROP DATABASE IF EXISTS sa_deadlocks')
await admin.close()
