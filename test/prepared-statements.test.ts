/**
 * PostgreSQL: the task statements run as named prepared statements
 * (src/lifecycle/connection.ts), unless turned off; a refusal like a
 * transaction-mode pooler's turns them off once, logged, without failing
 * the statement that met it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, type TestDb } from './helpers/db.js'
import { defineApp } from './helpers/app.js'

const pg = process.env.ASYNC_TEST_POSTGRES_URL

describe.skipIf(!pg)('prepared statements on postgres', () => {
  let db: TestDb
  beforeAll(async () => {
    db = await createDb('postgres', 'prepared')
    const sequelize = db.connect()
    await defineApp(sequelize).tasks.migrate()
    await sequelize.sync()
    await sequelize.close()
  })
  afterAll(async () => {
    await db?.drop()
  })

  // One connection, so that pg_prepared_statements (per session) is the one
  // the task statements ran on.
  async function drained(options: { preparedStatements?: boolean }, between?: string) {
    const sequelize = db.connect({ pool: { max: 1 } })
    const app = defineApp(sequelize, options)
    const prepared = async () => {
      const [rows] = await sequelize.query(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'sequelize_async_%'",
      )
      return (rows[0] as { n: number }).n
    }
    try {
      const order = await app.Order.create({ total: 1 })
      const first = await order.async('sendConfirmationEmail')
      await app.tasks.createWorker().workOff()
      const before = await prepared()
      if (between) await sequelize.query(between)
      const second = await order.async('sendConfirmationEmail')
      await app.tasks.createWorker().workOff()
      await first.reload()
      await second.reload()
      return {
        statuses: [first.status, second.status],
        before,
        after: await prepared(),
        log: app.logger.lines.filter((line) => / PREPARE /.test(line)),
      }
    } finally {
      await sequelize.close()
    }
  }

  it('names the task statements by default, and not when turned off', async () => {
    const on = await drained({})
    expect(on.statuses).toEqual(['succeeded', 'succeeded'])
    expect(on.before).toBeGreaterThanOrEqual(2) // the enqueue and the claim at least
    expect(on.log).toEqual([])
    const off = await drained({ preparedStatements: false })
    expect(off.statuses).toEqual(['succeeded', 'succeeded'])
    expect(off.before).toBe(0)
    expect(off.after).toBe(0)
  })

  it('a statement the server no longer knows (a pooler switched connections) turns them off, once, and still runs', async () => {
    // DEALLOCATE ALL: the driver still believes its statements are parsed, as
    // it does when a pooler hands the next one to another server connection.
    const refused = await drained({}, 'DEALLOCATE ALL')
    expect(refused.before).toBeGreaterThanOrEqual(2)
    expect(refused.statuses).toEqual(['succeeded', 'succeeded'])
    expect(refused.after).toBe(0)
    expect(refused.log).toHaveLength(1)
    expect(refused.log[0]).toMatch(/does not exist/)
    expect(refused.log[0]).toMatch(/preparedStatements: false/)
  })

  it('a migration that adds a column while the worker runs does not wedge its prepared claim', async () => {
    // The claim returns t.*: PostgreSQL refuses a cached plan whose result
    // type changed (0A000) on every call until the statement is prepared anew.
    const changed = await drained(
      {},
      'ALTER TABLE async_tasks ADD COLUMN added_by_a_migration integer',
    )
    expect(changed.before).toBeGreaterThanOrEqual(2)
    expect(changed.statuses).toEqual(['succeeded', 'succeeded'])
    expect(changed.log).toEqual([]) // still on: only renamed
    expect(changed.after).toBeGreaterThan(0)
  })

  it('refuses a preparedStatements option that is not a boolean', () => {
    const sequelize = db.connect()
    expect(() => defineApp(sequelize, { preparedStatements: 'no' as unknown as boolean })).toThrow(
      /preparedStatements must be true or false; got "no"/,
    )
    return sequelize.close()
  })
})
