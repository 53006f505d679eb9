/**
 * SQLite shared by processes: every connection Sequelize opens (including the
 * one per transaction) waits for the write lock instead of failing at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sqlite3 from 'sqlite3'
import { QueryTypes, type Sequelize } from 'sequelize'
import { createDb, type TestDb } from './helpers/db.js'
import { defineApp } from './helpers/app.js'

describe('sqlite tuning', () => {
  let db: TestDb
  let sequelize: Sequelize
  let app: ReturnType<typeof defineApp>
  beforeAll(async () => {
    db = await createDb('sqlite', 'tuning')
    sequelize = db.connect()
    app = defineApp(sequelize)
    await app.tasks.migrate()
    await sequelize.sync()
  })
  afterAll(async () => {
    await sequelize.close()
    await db.drop()
  })

  it('uses WAL, and a transactional enqueue waits out another writer instead of SQLITE_BUSY', async () => {
    const [[mode]] = (await sequelize.query('PRAGMA journal_mode')) as [
      Array<{ journal_mode: string }>,
      unknown,
    ]
    expect(mode!.journal_mode).toBe('wal')
    const order = await app.Order.create({ total: 1 })
    // Another process's writer holds the lock for 1.5 s.
    const other = new sqlite3.Database(db.config.storage!)
    await new Promise<void>((resolve, reject) =>
      other.exec('BEGIN IMMEDIATE', (err) => (err ? reject(err) : resolve())),
    )
    // Longer than Sequelize's own SQLITE_BUSY retries (5 tries, about 0.6 s).
    setTimeout(() => other.exec('COMMIT', () => other.close()), 1500)
    const started = Date.now()
    const task = await sequelize.transaction(async (transaction) =>
      order.async('sendConfirmationEmail', { transaction }),
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
    expect(task.id).toBeGreaterThan(0)
  })

  it("sets the busy timeout on Sequelize's per-transaction connection too", async () => {
    // The check that fails without src/sqlite-tuning.ts: a transaction runs on
    // its own connection, which no afterConnect hook ever configured.
    const rows = await sequelize.transaction((transaction) =>
      sequelize.query<{ timeout: number }>('PRAGMA busy_timeout', {
        type: QueryTypes.SELECT,
        transaction,
      }),
    )
    expect(rows[0]).toEqual({ timeout: 10_000 })
  })
})
