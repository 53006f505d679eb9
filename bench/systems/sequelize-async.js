// sequelize-async on SQLite, PostgreSQL or MariaDB, driven the way a user
// drives it: a model with a no-op method, `record.async('noop')` to enqueue,
// `tasks.createWorker()` to run. The package is the repository's own build,
// snapshotted by run.js (see snapshot.js); Sequelize and the drivers resolve
// from the root's node_modules, so the package and this file share them.
import { settleMysql, settlePostgres } from '../databases.js'
import { ORDER_ID, createOrders, defineOrder, openSequelize, recreateDatabase } from './orders.js'
import { copyTaskRows } from './task-rows.js'
import { SNAPSHOT_ENTRY } from '../snapshot.js'

const DB = 'bench_sa'
const FAR_FUTURE_MS = 365 * 86400e3

async function loadPackage() {
  try {
    return await import(SNAPSHOT_ENTRY)
  } catch (err) {
    throw new Error(
      `cannot load the sequelize-async build (${err.message}); run "npm run build" at the repository root`,
    )
  }
}

// One app: Sequelize, the Order model with a no-op method, installAsync.
async function openApp(dialect, { pool = 5, onRun = () => {} } = {}) {
  const { installAsync } = await loadPackage()
  const sequelize = openSequelize(dialect, DB, { pool })
  const Order = defineOrder(sequelize)
  Order.prototype.noop = async function noop(tag) {
    onRun(tag)
  }
  // Per-task log lines off, as for every peer (graphile-worker's are silenced too).
  const tasks = installAsync(sequelize, { logger: { info() {}, error: console.error } })
  return { sequelize, Order, tasks }
}

// `batched`, the labelled batched mode: the worker claims up to 100 tasks
// ahead (`prefetch`) and records successes that finish together in one
// statement (`batchCompletions`).
// `flow`, the flow-control variants (issue 11): 'unique' enqueues with
// `unique: true` (distinct arguments, so every call inserts); 'keys100' and
// 'hotkey' drain tasks with a `concurrencyKey` — spread over 100 keys of
// limit 1, or all on one key of limit 10 (the worker's concurrency: the key
// never holds a task back, so what is measured is its cost).
const FLOW_KEYS = {
  keys100: { key: (s) => keyExpr(s, 100), limit: 1 },
  hotkey: { key: () => "'hot'", limit: 10 },
}

function keyExpr(dialect, n) {
  if (dialect === 'postgres') return `'k' || (s % ${n})`
  if (dialect === 'mariadb') return `CONCAT('k', s.seq % ${n})`
  return `'k' || (s.x % ${n})`
}

export function sequelizeAsync({ dialect, pollIntervalMs, batched = false, flow = null }) {
  const workerOptions = (concurrency) => ({
    concurrency,
    pollInterval: pollIntervalMs,
    queues: ['default'],
    ...(batched ? { batchCompletions: true, prefetch: 100 } : {}),
  })

  return {
    store: dialect,
    async reset() {
      await recreateDatabase(dialect, DB)
      const app = await openApp(dialect)
      await app.tasks.migrate()
      await app.sequelize.close()
      await createOrders(dialect, DB)
    },

    // With `worker`, a worker runs in this same process as the enqueuer.
    async connect({ worker } = {}) {
      const app = await openApp(dialect, {
        pool: 5 + (worker?.concurrency ?? 0),
        onRun: worker?.onRun,
      })
      const order = await app.Order.findByPk(ORDER_ID)
      let unique = 0
      const { AsyncTask } = app.tasks
      const inProcess = worker ? app.tasks.createWorker(workerOptions(worker.concurrency)) : null
      return {
        worker: inProcess,
        enqueue: (tag) => {
          if (flow === 'unique')
            return order.async('noop', { args: [tag ?? ++unique], unique: true })
          return tag === undefined ? order.async('noop') : order.async('noop', { args: [tag] })
        },
        // One tasks.enqueueMany() of n tasks (the bulk scenario).
        enqueueBatch: (n) =>
          app.tasks.enqueueMany(
            Array.from({ length: n }, (_, i) => ({ target: order, action: 'noop', args: [i] })),
          ),
        async enqueueMany(n) {
          const keyed = FLOW_KEYS[flow]
          if (!keyed) {
            const template = await order.async('noop')
            await copyTaskRows(app.sequelize, template.id, n - 1, {})
            return
          }
          // Copies are blocked behind their key (ready 2), as promoted or
          // bulk-loaded tasks are; the worker's upkeep admits the first of
          // each key, and every outcome hands its key's permit to the next.
          const template = await order.async('noop', {
            concurrencyKey: 'template',
            concurrencyLimit: keyed.limit,
          })
          await copyTaskRows(app.sequelize, template.id, n, {
            concurrency_key: keyed.key(dialect),
            ready: '2',
            permits: '0',
          })
          await template.destroy()
        },
        remaining: () =>
          AsyncTask.count({ where: { status: ['pending', 'running'], ready: [1, 2, null] } }),
        async populate({ finished, future }) {
          const template = await order.async('noop')
          const at = new Date()
          await copyTaskRows(
            app.sequelize,
            template.id,
            finished,
            {
              status: "'succeeded'",
              success: 'TRUE',
              ready: 'NULL',
              attempts: '1',
              started_at: ':at',
              finished_at: ':at',
            },
            { at },
          )
          await copyTaskRows(
            app.sequelize,
            template.id,
            future,
            {
              ready: '0',
              scheduled_at: ':future',
            },
            { future: new Date(Date.now() + FAR_FUTURE_MS) },
          )
          await template.destroy()
          await settle(app.sequelize, dialect)
        },
        async close() {
          if (inProcess) await inProcess.stop()
          await app.sequelize.close()
        },
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      const app = await openApp(dialect, { pool: concurrency + 2, onRun })
      await app.sequelize.authenticate()
      const worker = app.tasks.createWorker(workerOptions(concurrency))
      return {
        start: () => worker.start(),
        async stop() {
          await worker.stop()
          await app.sequelize.close()
        },
      }
    },
  }
}

// The bulk load written out (databases.js). No ANALYZE: a table that grew
// to this size in production would not have had a fresh one either, and the
// claim must stay on its index without it.
async function settle(sequelize, dialect) {
  if (dialect === 'postgres') await settlePostgres()
  else if (dialect === 'mariadb') await settleMysql()
  else await sequelize.query('PRAGMA wal_checkpoint(TRUNCATE)')
}
