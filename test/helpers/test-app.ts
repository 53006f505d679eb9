/**
 * The setup most contract suites share: a fresh database for the file and
 * dialect, the small host app of app.ts installed on it with the schema, and
 * (with `clean`) an empty task table before each test. Values are filled in
 * by the suite's first beforeAll, so read them inside hooks and tests.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { Sequelize } from 'sequelize'
import type { InstallOptions } from '../../src/index.js'
import { calls, defineApp } from './app.js'
import { createDb, type DialectName, type TestDb } from './db.js'

export type App = ReturnType<typeof defineApp>

export interface TestApp {
  db: TestDb
  sequelize: Sequelize
  app: App
}

export function useTestApp(
  dialect: DialectName,
  label: string,
  options: {
    install?: InstallOptions
    /** Runs after the models are defined, before the schema is created. */
    setup?: (app: App) => void
    /** Empty the task table (and the app's call log) before each test. */
    clean?: boolean
  } = {},
): TestApp {
  const t = {} as TestApp
  beforeAll(async () => {
    t.db = await createDb(dialect, label)
    t.sequelize = t.db.connect()
    t.app = defineApp(t.sequelize, options.install)
    options.setup?.(t.app)
    await t.app.tasks.migrate()
    await t.sequelize.sync()
  })
  if (options.clean) {
    beforeEach(async () => {
      await t.app.tasks.AsyncTask.destroy({ where: {} })
      calls.length = 0
    })
  }
  // Registered first, so it runs last: a suite's own afterAll (closing a
  // server, say) still has the connection.
  afterAll(async () => {
    await t.sequelize?.close()
    await t.db?.drop()
  })
  return t
}
