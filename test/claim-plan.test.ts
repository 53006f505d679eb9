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
})
