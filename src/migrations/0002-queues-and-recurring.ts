/**
 * 0002: paused queues, and the slots of recurring tasks.
 *
 * A recurring slot is enqueued by whichever worker gets there first: the
 * primary key (recurring_key, slot_at) lets exactly one insert win, across
 * processes and hosts, and survives the pruning of the task it created.
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addIndexOnce, tableExists } from './step.js'

export const name = '0002-queues-and-recurring'

export const QUEUES = 'async_queues'
export const SLOTS = 'async_recurring_slots'

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  const { DataTypes } = S
  if (!(await tableExists(qi, QUEUES))) {
    await qi.createTable(QUEUES, {
      name: { type: DataTypes.STRING(100), primaryKey: true },
      paused_at: { type: DataTypes.DATE(3), allowNull: true },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    })
  }
  if (!(await tableExists(qi, SLOTS))) {
    await qi.createTable(SLOTS, {
      recurring_key: { type: DataTypes.STRING(191), primaryKey: true },
      slot_at: { type: DataTypes.DATE(3), primaryKey: true },
      task_id: { type: DataTypes.BIGINT, allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    })
  }
  await addIndexOnce(qi, SLOTS, 'async_recurring_slots_created', ['created_at'])
}

export async function down(qi: QueryInterface): Promise<void> {
  if (await tableExists(qi, SLOTS)) await qi.dropTable(SLOTS)
  if (await tableExists(qi, QUEUES)) await qi.dropTable(QUEUES)
}
