// The app the by-hand scripts (in-process.js, enqueue-paths.js,
// trace-drain.js) measure: an Order model with a no-op method, the package
// under test installed on it, fresh tables and one saved order. PostgreSQL
// and MySQL use ASYNC_TEST_POSTGRES_URL / ASYNC_TEST_MYSQL_URL (default: the
// local servers' `test` databases); SQLite a file in /tmp. Every table of
// that database is dropped first.
import { DataTypes, Model, Sequelize } from 'sequelize'
import { installAsync } from '../dist/index.js'

const URLS = {
  postgres: process.env.ASYNC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.ASYNC_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
}

/**
 * `options`: extra Sequelize options (pool, logging, benchmark); `install`:
 * extra installAsync options.
 */
export async function openLocalApp(dialect, label, options = {}, install = {}) {
  const base = { logging: false, ...options }
  if (dialect !== 'sqlite' && !URLS[dialect]) throw new Error(`unknown dialect ${dialect}`)
  const sequelize =
    dialect === 'sqlite'
      ? new Sequelize({
          dialect: 'sqlite',
          storage: `/tmp/sequelize-async-${label}.sqlite`,
          ...base,
        })
      : new Sequelize(URLS[dialect], base)
  class Order extends Model {
    // `Order.onNoop`, if set, hears each run (trace-drain.js times the phases).
    noop() {
      Order.onNoop?.()
    }
  }
  Order.init({ total: DataTypes.INTEGER }, { sequelize })
  const tasks = installAsync(sequelize, { logger: { info() {}, error: console.error }, ...install })
  await sequelize.getQueryInterface().dropAllTables()
  await tasks.migrate()
  await sequelize.sync()
  const order = await Order.create({ total: 1 })
  return { sequelize, Order, tasks, order }
}
