// graphile-worker 0.18 on PostgreSQL (declares Node >= 22.18 but runs on 20).
// Default mode fetches one job per round trip and completes each with its own
// statement; the labelled batched mode turns on the local queue (one fetch
// locks `localQueueSize` jobs) and batched completions, as its performance
// guide recommends. With `sameWork` the handler loads the task's order with
// `Order.findByPk` through Sequelize, as sequelize-async's task does.
// Finished jobs are deleted, so "finished history" for the depth scenario is
// permanently failed jobs, which are what it keeps.
import { run, runMigrations, makeWorkerUtils, Logger } from 'graphile-worker'
import pg from 'pg'
import { pgUrl, recreatePostgres, settlePostgres } from '../databases.js'
import { ORDER_ID, createOrders, openOrderLoader } from './orders.js'
import { copyPgRows } from './pg-copies.js'

const DB = 'bench_graphile'
const JOBS = 'graphile_worker._private_jobs'
const silent = new Logger(() => () => {})

export function graphile({ pollIntervalMs, batched = false, sameWork = false }) {
  const connectionString = pgUrl(DB)
  const batching = batched
    ? { localQueue: { size: 100 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
    : {}
  // The task's reference to its record, as sequelize-async stores one.
  const payload = (tag) => ({
    ...(sameWork ? { id: ORDER_ID } : {}),
    ...(tag === undefined ? {} : { tag }),
  })

  return {
    store: 'postgres',
    async reset() {
      await recreatePostgres(DB)
      await runMigrations({ connectionString, logger: silent })
      if (sameWork) await createOrders('postgres', DB, pg)
    },

    async connect() {
      const utils = await makeWorkerUtils({ connectionString, logger: silent })
      const sql = new pg.Pool({ connectionString, max: 1 })
      return {
        enqueue: (tag) => utils.addJob('noop', payload(tag)),
        async enqueueMany(n) {
          const template = await utils.addJob('noop', payload())
          await copyPgRows(sql, JOBS, template.id, n - 1)
        },
        async remaining() {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS n FROM ${JOBS} WHERE run_at <= now() AND attempts < max_attempts`,
          )
          return rows[0].n
        },
        // Bulk SQL, then the store settled (databases.js); no ANALYZE, as
        // a table that grew in production would not have had one either.
        async populate({ finished, future }) {
          await utils.addJob('noop', {}, { runAt: new Date(Date.now() + 365 * 86400e3) })
          await sql.query(
            `INSERT INTO ${JOBS} (task_id, payload, attempts, max_attempts, last_error)
             SELECT t.id, '{}'::json, 1, 1, 'finished' FROM graphile_worker._private_tasks t,
             generate_series(1, $1::int) WHERE t.identifier = 'noop'`,
            [finished],
          )
          await sql.query(
            `INSERT INTO ${JOBS} (task_id, payload, run_at)
             SELECT t.id, '{}'::json, now() + interval '365 days' FROM graphile_worker._private_tasks t,
             generate_series(1, $1::int) WHERE t.identifier = 'noop'`,
            [future - 1],
          )
          await settlePostgres()
        },
        async close() {
          await sql.end()
          await utils.release()
        },
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      const orders = sameWork
        ? await openOrderLoader('postgres', DB, { pool: concurrency, dialectModule: pg })
        : null
      const noop = orders
        ? async (job) => {
            await orders.load(job.id)
            onRun(job.tag)
          }
        : async (job) => onRun(job.tag)
      let runner
      return {
        async start() {
          runner = await run({
            connectionString,
            concurrency,
            pollInterval: pollIntervalMs,
            maxPoolSize: Math.max(10, concurrency + 2),
            noHandleSignals: true,
            logger: silent,
            taskList: { noop },
            preset: { worker: batching },
          })
        },
        async stop() {
          await runner?.stop()
          await orders?.close()
        },
      }
    },
  }
}
