/**
 * 0007: workflows and live tasks (docs/workflows.md).
 *
 * - Dependencies: `async_dependencies` holds one row per (task, parent),
 *   with the parent's place in the task's `after` list. A task that waits
 *   on parents is pending with `ready = 3`: outside the claim index, the
 *   promotion and the admission, until every parent has succeeded (then it
 *   becomes due) or one failed for good or was cancelled (then it is
 *   cancelled too). `has_dependents` on a parent tells the worker that ends
 *   it to decide its children at once instead of leaving them to the sweep.
 * - Live tasks: `progress` (0–1) and `progress_note` written by the running
 *   method; `cancel_requested` set by `task.cancel()` on a running task and
 *   read by its worker's heartbeat; `watched` set by `task.wait()` so the
 *   worker that ends the task sends a NOTIFY on PostgreSQL.
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addColumnOnce, addIndexOnce, dropColumn, tableExists } from './step.js'
import { TABLE } from './0001-create-async-tasks.js'

export const name = '0007-workflows'

export const DEPENDENCIES = 'async_dependencies'
export const PROGRESS_NOTE_LENGTH = 200

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  const { DataTypes } = S
  const flag = { type: DataTypes.SMALLINT, allowNull: false, defaultValue: 0 }
  await addColumnOnce(qi, TABLE, 'has_dependents', flag)
  await addColumnOnce(qi, TABLE, 'cancel_requested', flag)
  await addColumnOnce(qi, TABLE, 'watched', flag)
  await addColumnOnce(qi, TABLE, 'progress', { type: DataTypes.DOUBLE, allowNull: true })
  await addColumnOnce(qi, TABLE, 'progress_note', {
    type: DataTypes.STRING(PROGRESS_NOTE_LENGTH),
    allowNull: true,
  })
  // The waiting tasks, for the sweep that decides those whose parents ended.
  await addIndexOnce(qi, TABLE, 'async_tasks_waiting', ['ready', 'id'], { ready: 3 })
  if (!(await tableExists(qi, DEPENDENCIES))) {
    await qi.createTable(DEPENDENCIES, {
      task_id: { type: DataTypes.BIGINT, allowNull: false, primaryKey: true },
      parent_id: { type: DataTypes.BIGINT, allowNull: false, primaryKey: true },
      position: { type: DataTypes.INTEGER, allowNull: false },
    })
  }
  await addIndexOnce(qi, DEPENDENCIES, 'async_dependencies_parent', ['parent_id'])
}

export async function down(qi: QueryInterface): Promise<void> {
  if (await tableExists(qi, DEPENDENCIES)) await qi.dropTable(DEPENDENCIES)
  const existing = (await qi.showIndex(TABLE)) as Array<{ name: string }>
  if (existing.some((i) => i.name === 'async_tasks_waiting'))
    await qi.removeIndex(TABLE, 'async_tasks_waiting')
  for (const column of [
    'progress_note',
    'progress',
    'watched',
    'cancel_requested',
    'has_dependents',
  ])
    await dropColumn(qi, TABLE, column)
}
