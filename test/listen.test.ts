/**
 * PostgreSQL wake-ups: LISTEN on `listenUrl` (a direct connection, for apps
 * whose Sequelize goes through a pooler), and the fallback to probing when a
 * NOTIFY does not come back on the LISTEN connection. The PgBouncer run
 * itself is `npm run cluster -- --engine=pgbouncer` (docs/scaling.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Sequelize } from 'sequelize'
import { createDb, type TestDb } from './helpers/db.js'
import { defineApp } from './helpers/app.js'
import { waitFor } from './helpers/wait.js'

const pg = process.env.ASYNC_TEST_POSTGRES_URL

describe.skipIf(!pg)('LISTEN on postgres', () => {
  let db: TestDb
  let other: TestDb // another database on the same server: its notifications never reach ours
  beforeAll(async () => {
    db = await createDb('postgres', 'listen')
    other = await createDb('postgres', 'listen_other')
    const sequelize = db.connect()
    await defineApp(sequelize).tasks.migrate()
    await sequelize.sync()
    await sequelize.close()
  })
  afterAll(async () => {
    await db?.drop()
    await other?.drop()
  })

  // The worker never polls (60 s) and, with LISTEN trusted, never probes:
  // the task enqueued by another Sequelize instance (no in-process wake-up)
  // can only be noticed through a notification or, after the fallback, a probe.
  async function wakeUp(listenUrl: string) {
    const sequelize = db.connect()
    const enqueuer = db.connect()
    const app = defineApp(sequelize, { listenUrl })
    const elsewhere = defineApp(enqueuer)
    const worker = app.tasks.createWorker({ pollInterval: 60_000 })
    await worker.start()
    try {
      await waitFor(
        () => app.logger.lines.some((line) => / LISTEN /.test(line)),
        20_000,
        'a LISTEN line in the worker log',
      )
      const order = await elsewhere.Order.create({ total: 1 })
      const task = await order.async('sendConfirmationEmail')
      await waitFor(
        async () => (await task.reload()).status === 'succeeded',
        20_000,
        'the task to succeed',
      )
      return app.logger.lines.filter((line) => / LISTEN /.test(line))
    } finally {
      await worker.stop()
      await sequelize.close()
      await enqueuer.close()
    }
  }

  it('listens on listenUrl, a separate direct connection, and is woken by NOTIFY', async () => {
    const lines = await wakeUp(db.config.url as string)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/LISTEN woken by NOTIFY through listenUrl 127\.0\.0\.1:5432$/)
  })

  it('falls back to probing, and says so, when no NOTIFY comes back on the LISTEN connection', async () => {
    // As behind PgBouncer in transaction mode: LISTEN succeeds, nothing arrives.
    const lines = await wakeUp(other.config.url as string)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /LISTEN unavailable through listenUrl .*did not come back within 5000 ms\); probing for work instead\. .*listenUrl/,
    )
  })

  it('refuses a listenUrl that is not a postgres:// URL', () => {
    const sequelize = new Sequelize(pg as string, { logging: false })
    expect(() => defineApp(sequelize, { listenUrl: 'mysql://root@127.0.0.1/x' })).toThrow(
      /listenUrl must be a postgres:\/\/ URL/,
    )
    expect(() => defineApp(sequelize, { listenUrl: 'not a url' })).toThrow(/listenUrl/)
    void sequelize.close()
  })
})
