// pg-boss 10 on PostgreSQL (11+ needs Node 22). Version 10 has no per-worker
// concurrency option: its docs say to call work() once per concurrent loop,
// and each loop fetches `batchSize` jobs (default 1) and then waits out the
// rest of `pollingIntervalSeconds` before fetching again, found jobs or not.
import PgBoss from 'pg-boss'
import pg from 'pg'
import { pgUrl, recreatePostgres, settlePostgres } from '../databases.js'

const DB = 'bench_pgboss'
const QUEUE = 'bench'

export function pgboss({ pollIntervalMs, batchSize = 1 }) {
  const url = pgUrl(DB)
  const open = async (extra = {}) => {
    const boss = new PgBoss({ connectionString: url, ...extra })
    boss.on('error', (err) => console.error('pg-boss:', err.message))
    await boss.start()
    return boss
  }

  return {
    store: 'postgres',
    async reset() {
      await recreatePostgres(DB)
      const boss = await open({ supervise: false, schedule: false })
      await boss.createQueue(QUEUE)
      await boss.stop({ graceful: false, wait: true })
    },

    async connect() {
      const boss = await open({ supervise: false, schedule: false, max: 4 })
      const sql = new pg.Pool({ connectionString: url, max: 1 })
      return {
        enqueue: (tag) => boss.send(QUEUE, tag === undefined ? {} : { tag }),
        async enqueueMany(n) {
          for (let i = 0; i < n; i += 5000) {
            const size = Math.min(5000, n - i)
            await boss.insert(Array.from({ length: size }, () => ({ name: QUEUE, data: {} })))
          }
        },
        async remaining() {
          const { rows } = await sql.query(
            `SELECT count(*)::int AS n FROM pgboss.job
             WHERE name = $1 AND state < 'completed' AND start_after <= now()`,
            [QUEUE],
          )
          return rows[0].n
        },
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
          await sql.query('ANALYZE')
          await settlePostgres()
        },
        async close() {
          await sql.end()
          await boss.stop({ graceful: false, wait: true })
        },
      }
    },

    async prepareWorker({ concurrency, onRun }) {
      const boss = await open({ max: concurrency + 2 })
      const work = async () => {
        for (let i = 0; i < concurrency; i++) {
          await boss.work(
            QUEUE,
            { pollingIntervalSeconds: pollIntervalMs / 1000, batchSize },
            async (jobs) => {
              for (const job of jobs) onRun(job.data.tag)
            },
          )
        }
      }
      return {
        start: work,
        stop: () => boss.stop({ graceful: true, wait: true, timeout: 5000 }),
      }
    },
  }
}
