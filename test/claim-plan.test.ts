/**
 * The claim reads the hot set through an index that serves its ORDER BY, on
 * every dialect: no sort step (MySQL would lock every sorted candidate and
 * starve other workers), no scan of history. And on PostgreSQL a worker in
 * another installation is woken by NOTIFY, not by its poll.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { QueryTypes, type Sequelize } from 'sequelize'
import { dialects, type TestDb } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { defineApp } from './helpers/app.js'
import { blockedOf } from '../src/lifecycle/keys.js'

const PICK = `SELECT id FROM async_tasks %HINT% WHERE ready = 1 AND queue = 'default'
  ORDER BY priority DESC, scheduled_at, id LIMIT 5`

describe.each(dialects)('claim plan on %s', (dialect) => {
  const t = useTestApp(dialect, 'plan')
  let db: TestDb, sequelize: Sequelize, app: App
  beforeAll(() => ({ db, sequelize, app } = t))

  it('uses the claim index in claim order, without sorting', async () => {
    const plan = async (sql: string) =>
      JSON.stringify(await sequelize.query(sql, { type: QueryTypes.SELECT })).toLowerCase()
    if (dialect === 'sqlite') {
      const text = await plan(`EXPLAIN QUERY PLAN ${PICK.replace('%HINT%', '')}`)
      expect(text).toContain('async_tasks_claim_queue')
      expect(text).not.toContain('temp b-tree')
    } else if (dialect === 'mysql') {
      const text = await plan(
        `EXPLAIN ${PICK.replace('%HINT%', 'FORCE INDEX (async_tasks_claim_queue)')}`,
      )
      expect(text).toContain('async_tasks_claim_queue')
      expect(text).not.toContain('filesort')
    } else {
      await sequelize.transaction(async (transaction) => {
        await sequelize.query('SET LOCAL enable_seqscan = off', { transaction })
        const rows = await sequelize.query(`EXPLAIN ${PICK.replace('%HINT%', '')}`, {
          type: QueryTypes.SELECT,
          transaction,
        })
        const text = JSON.stringify(rows).toLowerCase()
        // On a near-empty table either claim index is as cheap; both serve the order.
        expect(text).toMatch(/index scan using async_tasks_claim_(queue|any)/)
        expect(text).not.toMatch(/"sort/)
      })
    }
  })

  it.runIf(dialect === 'postgres')(
    'wakes a worker of another installation by NOTIFY when a task commits',
    async () => {
      const other = db.connect()
      const remote = defineApp(other)
      const worker = remote.tasks.createWorker({ pollInterval: 60_000 })
      await worker.start()
      try {
        await new Promise((r) => setTimeout(r, 500)) // LISTEN is up
        const order = await app.Order.create({ total: 1 })
        const started = Date.now()
        const task = await order.async('sendConfirmationEmail')
        while ((await task.reload()).status !== 'succeeded' && Date.now() - started < 10_000) {
          await new Promise((r) => setTimeout(r, 20))
        }
        expect(task.status).toBe('succeeded')
        expect(Date.now() - started).toBeLessThan(10_000) // the poll would take 60 s
        expect(worker.stats.succeeded).toBe(1)
      } finally {
        await worker.stop()
        await other.close()
      }
    },
  )

  it.runIf(dialect === 'postgres')(
    'the outcome-and-claim statement keeps one generic plan, which finds the outcomes by primary key',
    async () => {
      // One connection, so the prepared statements seen are the worker's.
      const one = db.connect({ pool: { max: 1 } })
      const local = defineApp(one)
      try {
        const order = await local.Order.create({ total: 1 })
        for (let i = 0; i < 30; i++) await order.async('sendConfirmationEmail')
        // A table of some size (history), as the planner knows it: on a few
        // rows a sequential scan is as cheap as anything.
        const columns =
          'object_type, object_id, action, args, priority, scheduled_at, queue, created_at, updated_at'
        await one.query(
          `INSERT INTO async_tasks (${columns}, status, finished_at)
           SELECT ${columns}, 'succeeded', now() FROM async_tasks, generate_series(1, 200)`,
        )
        await one.query('ANALYZE async_tasks')
        await local.tasks.createWorker({ concurrency: 1 }).workOff()
        const [stats] = await one.query(
          `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements
           WHERE statement LIKE 'WITH v AS%' AND statement LIKE '%claimed AS%'`,
        )
        const step = stats[0] as { name: string; generic_plans: string; custom_plans: string }
        // A custom plan per call would mean planning the long CTE every time.
        expect(Number(step.generic_plans)).toBeGreaterThan(20)
        expect(Number(step.custom_plans)).toBeLessThanOrEqual(5)
        const plan = await one.transaction(async (transaction) => {
          await one.query('SET LOCAL plan_cache_mode = force_generic_plan', { transaction })
          const [types] = await one.query(
            `SELECT parameter_types::text[] AS t FROM pg_prepared_statements WHERE name = :name`,
            { replacements: { name: step.name }, transaction },
          )
          const nulls = ((types[0] as { t: string[] }).t ?? []).map(() => 'NULL').join(', ')
          const [rows] = await one.query(`EXPLAIN EXECUTE ${step.name}(${nulls})`, { transaction })
          return JSON.stringify(rows)
        })
        // Not a bitmap scan of every running row's index entries (dead ones included).
        expect(plan).toMatch(/Index Scan using async_tasks_pkey on async_tasks t\b/)
        expect(plan).not.toMatch(/Bitmap/)
      } finally {
        await one.close()
      }
    },
  )

  it.runIf(dialect === 'postgres')(
    "reads one key's blocked tasks by a seek, not from the start of the blocked index",
    async () => {
      // 20,000 tasks blocked over 50 keys, as a bulk load leaves them.
      await sequelize.query(`INSERT INTO async_tasks (object_type, object_id, action, args, priority,
          scheduled_at, status, queue, ready, concurrency_key, concurrency_limit, created_at, updated_at)
        SELECT 'Order', '1', 'noop', '[]', 10, now(), 'pending', 'plan', 2, 'key' || (i % 50), 1, now(), now()
        FROM generate_series(1, 20000) AS i`)
      await sequelize.query('ANALYZE async_tasks')
      const pages = async (where: string): Promise<number> => {
        const [rows] = await sequelize.query(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT id, concurrency_limit FROM async_tasks
           WHERE ${where} ORDER BY priority DESC, scheduled_at, id LIMIT 1`,
        )
        const plan = (rows[0] as { 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> })[
          'QUERY PLAN'
        ][0]!.Plan
        expect(JSON.stringify(plan)).not.toMatch(/"Node Type":"Sort"/)
        return Number(plan['Shared Hit Blocks'] ?? 0) + Number(plan['Shared Read Blocks'] ?? 0)
      }
      // A key far into the index: the plain terms read every entry before it.
      const plain = await pages(`ready = 2 AND concurrency_key = 'key9'`)
      const seek = await pages(blockedOf('postgres', `'key9'`))
      expect(seek).toBeLessThan(10)
      expect(plain).toBeGreaterThan(seek * 5)
      await sequelize.query(`DELETE FROM async_tasks WHERE queue = 'plan'`)
    },
  )
})
