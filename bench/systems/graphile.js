// graphile-worker 0.18 on PostgreSQL (declares Node >= 22.18 but runs on 20).
// Default mode fetches one job per round trip and completes each with its own
// statement; the labelled batched mode turns on the local queue (one fetch
// locks `localQueueSize` jobs) and batched completions, as its performance
// guide recommends. Finished jobs are deleted, so "finished history" for the
// depth scenario is permanently failed jobs, which are what it keeps.
import { run, runMigrations, makeWorkerUtils, Logger } from 'graphile-worker'
import pg from 'pg'
import { pgUrl, recreatePostgres, settlePostgres } from '../databases.js'

const DB = 'bench_graphile'
const silent = new Logger(() => () => {})

export function graphile({ pollIntervalMs, batched = false, localQueueSize = 100 }) {
  const connectionString = pgUrl(DB)
  const batching = batched
    ? { localQueue: { size: localQueueSize }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }
    : {}

  return {
    store: 'postgres',
    async reset() {
      await recreatePostgres(DB)
      await runMigrations({ connectionString, logger: silent })
    },

    async connect() {
      const utils = await makeWorkerUtils({ connectionString, logger: silent })
      const sql = new pg.Pool({ connectionString, max: 1 })
      return {
        enqueue: (tag) => utils.addJob('noop', tag === undefined ? {} : { tag }),
        async enqueueMany(n) {
          for (let i = 0; i < n; i += 5000) {
            const size = Math.min(5000, n - i)
            await utils.addJobs(
              Array.from({ length: size }, () => ({ identifier: 'noop', payload: {} })),
            )
          }
        },
        async remaining() {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS n FROM graphile_worker._private_jobs
             WHERE run_at <= now() AND attempts < max_attempts`,
          )
          return rows[0].n
        },
        async populate({ finished, future }) {
          await utils.addJob('noop', {}, { runAt: new Date(Date.now() + 365 * 86400e3) })
          await sql.query(
            `INSERT INTO graphile_worker._private_jobs (task_id, payload, attempts, max_attempts, last_error)
             SELECT t.id, '{}'::json, 1, 1, 'finished' FROM graphile_worker._private_tasks t,
             generate_series(1, $1::int) WHERE t.identifier = 'noop'`,
            [finished],
          )
          await sql.query(
            `INSERT INTO graphile_worker._private_jobs (task_id, payload, run_at)
             SELECT t.id, '{}'::json, now() + interval '365 days' FROM graphile_worker._private_tasks t,
             generate_series(1, $1::int) WHERE t.identifier = 'noop'`,
            [future - 1],
          )
          await sql.query('ANALYZE')
          await settlePostgres()
        },
        async close() {
          await sql.end()
          await utils.release()
        },
      }
    },

    async prepareWorker({ concurrency, onRun }) {
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
            taskList: { noop: async (payload) => onRun(payload.tag) },
            preset: { worker: batching },
          })
        },
        stop: () => runner?.stop(),
      }
    },
  }
}
