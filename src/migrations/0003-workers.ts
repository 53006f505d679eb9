/**
 * 0003: live workers. Each worker keeps one row, refreshed by its upkeep, so
 * operators (the dashboard, `script/async status`) see every worker on every
 * host, what it runs and when it was last heard from.
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addIndexOnce, tableExists } from './step.js'

export const name = '0003-workers'

export const WORKERS = 'async_workers'

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  const { DataTypes } = S
  if (!(await tableExists(qi, WORKERS))) {
    await qi.createTable(WORKERS, {
      id: { type: DataTypes.STRING(255), primaryKey: true },
      host: { type: DataTypes.STRING(255), allowNull: false },
      pid: { type: DataTypes.INTEGER, allowNull: false },
      uid: { type: DataTypes.STRING(64), allowNull: true },
      queues: { type: DataTypes.STRING(1000), allowNull: false },
      concurrency: { type: DataTypes.INTEGER, allowNull: false },
      running: { type: DataTypes.TEXT, allowNull: false },
      started_at: { type: DataTypes.DATE(3), allowNull: false },
      last_seen_at: { type: DataTypes.DATE(3), allowNull: false },
    })
  }
  await addIndexOnce(qi, WORKERS, 'async_workers_last_seen', ['last_seen_at'])
}

export async function down(qi: QueryInterface): Promise<void> {
  if (await tableExists(qi, WORKERS)) await qi.dropTable(WORKERS)
}
