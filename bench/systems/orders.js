// The app side every Sequelize-based system shares: a Sequelize instance on
// one benchmark database and the Order model whose record each task loads.
// sequelize-async loads it itself (a method call runs on a freshly loaded
// record); the "same work" peers load it in their handler with
// `Order.findByPk`, as a Sequelize app using them would; the bare baseline
// loads it in a loop with no queue at all.
import { Sequelize, DataTypes } from 'sequelize'
import {
  pgUrl,
  mysqlUrl,
  sqliteFile,
  recreatePostgres,
  recreateMysql,
  recreateSqlite,
} from '../databases.js'

/** The order every benchmark task is about. */
export const ORDER_ID = 1

/**
 * `dialect`: 'postgres' | 'mariadb' | 'sqlite'; `db`: database (file) name;
 * `pool`: connections at most; `dialectModule`: a driver module to use
 * instead of Sequelize's own `require` (a peer's process then loads one `pg`).
 */
export function openSequelize(dialect, db, { pool = 5, dialectModule } = {}) {
  const common = {
    logging: false,
    pool: { max: pool, min: 0 },
    ...(dialectModule ? { dialectModule } : {}),
  }
  if (dialect === 'postgres') return new Sequelize(pgUrl(db), common)
  if (dialect === 'mariadb') return new Sequelize(mysqlUrl(db), { ...common, dialect: 'mysql' })
  if (dialect === 'sqlite')
    return new Sequelize({ ...common, dialect: 'sqlite', storage: sqliteFile(db) })
  throw new Error(`unknown dialect "${dialect}"`)
}

/** The model: one integer column, Sequelize's default id and timestamps. */
export function defineOrder(sequelize) {
  return sequelize.define('Order', { total: DataTypes.INTEGER }, {})
}

/** Drops and recreates the database (SQLite: the file). */
export async function recreateDatabase(dialect, db) {
  if (dialect === 'postgres') await recreatePostgres(db)
  else if (dialect === 'mariadb') await recreateMysql(db)
  else await recreateSqlite(db)
}

/** Creates the Orders table beside whatever the database holds, and the one order. */
export async function createOrders(dialect, db, dialectModule) {
  const sequelize = openSequelize(dialect, db, { pool: 1, dialectModule })
  try {
    const Order = defineOrder(sequelize)
    await Order.sync()
    const order = await Order.create({ total: 1 })
    if (order.id !== ORDER_ID) throw new Error(`the first order got id ${order.id}`)
  } finally {
    await sequelize.close()
  }
}

/**
 * A worker process's record loader: one Sequelize instance (`pool`
 * connections, sized by the caller to its concurrency), connected before the
 * start signal.
 */
export async function openOrderLoader(dialect, db, { pool, dialectModule }) {
  const sequelize = openSequelize(dialect, db, { pool, dialectModule })
  const Order = defineOrder(sequelize)
  await sequelize.authenticate()
  return {
    async load(id) {
      const order = await Order.findByPk(id)
      if (!order) throw new Error(`Order ${id} not found`)
      return order
    },
    close: () => sequelize.close(),
  }
}
