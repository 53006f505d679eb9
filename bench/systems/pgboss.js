// pg-boss 10 on PostgreSQL (11+ needs Node 22). Version 10 has no per-worker
// concurrency option: its docs say to call work() once per concurrent loop,
// and each loop fetches `batchSize` jobs (default 1) and then waits out the
// rest of `pollingIntervalSeconds` before fetching again, found jobs or not.
// With `sameWork` the handler loads the task's order with `Order.findByPk`
// through Sequelize, as sequelize-async's task does.
import PgBoss from 'pg-boss'
import pg from 'pg'
import { pgUrl, recreatePostgres, settlePostgres } from '../databases.js'
import { ORDER_ID, createOrders, openOrderLoader } from './orders.js'
import { copyPgRows } from './pg-copies.js'

const DB = 'bench_pgboss'
const QUEUE = 'bench'

export function pgboss({ pollIntervalMs, batchSize = 1, sameWork = false }) {
  const url = pgUrl(DB)
  const open = async (extra = {}) => {
    const boss = new PgBoss({ connectionString: url, ...extra })
    boss.on('error', (err) => console.error('pg-boss:', err.message))
    await boss.start()
    return boss
  }
  const payload = (tag) => ({
    ...(sameWork ? { id: ORDER_ID } : {}),
    ...(tag === undefined ? {} : { tag }),
  })

  return {
    store: 'postgres',
    // At one job per loop per poll interval it cannot run more than a few
    // hundred in a drain's window; its drain starts with `drainTasksPolled`.
    polled: true,
    async reset() {
      await recreatePostgres(DB)
      const boss = await open({ supervise: false, schedule: false })
      await boss.createQueue(QUEUE)
      await boss.stop({ graceful: false, wait: true })
      if (sameWork) await createOrders('postgres', DB, pg)
    },

    async connect() {
      const boss = await open({ supervise: false, schedule: false, max: 4 })
      const sql = new pg.Pool({ connectionString: url, max: 1 })
      return {
        enqueue: (tag) => boss.send(QUEUE, payload(tag)),
        async enqueueMany(n) {
          const id = await boss.send(QUEUE, payload())
          await copyPgRows(sql, 'pgboss.job', id, n - 1)
        },
        async remaining() {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS n FROM pgboss.job
             WHERE name = $1 AND state < 'completed' AND start_after <= now()`,
            [QUEUE],
          )
          return rows[0].n
        },
        // Bulk SQL, then the store settled (databases.js); no ANALYZE, as
        // a table that grew in production would not have had one either.
        async populate({ finished, future }) {
          await sql.query(
            `INSERT INTO pgboss.job (name, data, state, started_on, completed_on)
             SELECT $1, '{}'::jsonb, 'completed', now(), now() FROM generate_series(1, $2::int)`,
            [QUEUE, finished],
          )
          await sql.query(
            `INSERT INTO pgboss.job (name, data, start_after)
             SELECT $1, '{}'::jsonb, now() + interval '365 days' FROM generate_series(1, $2::int)`,
            [QUEUE, future],
          )
          await settlePostgres()
        },
        async close() {
          await sql.end()
          await boss.stop({ graceful: false, wait: true })
        },
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      const orders = sameWork
        ? await openOrderLoader('postgres', DB, { pool: concurrency, dialectModule: pg })
        : null
      const boss = await open({ max: concurrency + 2 })
      const handler = async (jobs) => {
        for (const job of jobs) {
          if (orders) await orders.load(job.data.id)
          onRun(job.data.tag)
        }
      }
      const work = async () => {
        for (let i = 0; i < concurrency; i++) {
          await boss.work(
            QUEUE,
            { pollingIntervalSeconds: pollIntervalMs / 1000, batchSize },
            handler,
          )
        }
      }
      return {
        start: work,
        async stop() {
          await boss.stop({ graceful: true, wait: true, timeout: 5000 })
          await orders?.close()
        },
      }
    },
  }
}
