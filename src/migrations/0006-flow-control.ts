/**
 * 0006: flow control (docs/flow-control.md).
 *
 * - Unique tasks: `unique_key` is the task's key, kept for display;
 *   `unique_hold` carries it only while the key is held (pending, or until
 *   finished with `uniqueUntil: 'finished'`). A unique index on
 *   `unique_hold` lets exactly one enqueue of a key win, across processes
 *   and hosts, enforced by the database (NULLs do not collide).
 * - Per-key concurrency: `concurrency_key` and `concurrency_limit` on the
 *   task; `async_concurrency` counts the running holders of each key, one
 *   row per key, locked by the claims and outcomes that change it. A due
 *   task whose key is at its limit waits as `ready = 2` (blocked), out of
 *   the claim index, until a holder of its key ends; `permits` says what a
 *   running task holds (1: its key, 2: its queue's concurrency).
 * - Queue limits on `async_queues`: a cap on running tasks (`concurrency`,
 *   `running`) and a rate limit on starts (`rate_max` per `rate_per_ms`,
 *   counted in fixed windows of the database's clock: `window_no` is the
 *   current window's number, `window_count` its starts), changed at run time
 *   and shared by every worker; `config_limits` is the last configuration a
 *   worker applied, so a deploy that changes it wins over a run-time change,
 *   and a restart without a change does not undo one.
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addColumnOnce, addIndexOnce, dropColumn, tableExists } from './step.js'
import { TABLE } from './0001-create-async-tasks.js'
import { QUEUES } from './0002-queues-and-recurring.js'

export const name = '0006-flow-control'

export const KEYS = 'async_concurrency'

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  const { DataTypes } = S
  const key = { type: DataTypes.STRING(255), allowNull: true }
  await addColumnOnce(qi, TABLE, 'unique_key', key)
  await addColumnOnce(qi, TABLE, 'unique_hold', key)
  await addColumnOnce(qi, TABLE, 'unique_until', { type: DataTypes.STRING(8), allowNull: true })
  await addColumnOnce(qi, TABLE, 'concurrency_key', key)
  await addColumnOnce(qi, TABLE, 'concurrency_limit', { type: DataTypes.INTEGER, allowNull: true })
  await addColumnOnce(qi, TABLE, 'permits', {
    type: DataTypes.SMALLINT,
    allowNull: false,
    defaultValue: 0,
  })
  await addIndexOnce(qi, TABLE, 'async_tasks_unique_hold', ['unique_hold'], undefined, {
    unique: true,
  })
  // The blocked tasks of one key, in claim order: the next to unblock.
  await addIndexOnce(
    qi,
    TABLE,
    'async_tasks_blocked',
    ['ready', 'concurrency_key', { name: 'priority', order: 'DESC' }, 'scheduled_at', 'id'],
    { ready: 2 },
  )
  if (!(await tableExists(qi, KEYS))) {
    await qi.createTable(KEYS, {
      concurrency_key: { type: DataTypes.STRING(255), primaryKey: true },
      holders: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    })
  }
  const int = { type: DataTypes.INTEGER, allowNull: true }
  await addColumnOnce(qi, QUEUES, 'concurrency', int)
  await addColumnOnce(qi, QUEUES, 'running', { ...int, allowNull: false, defaultValue: 0 })
  await addColumnOnce(qi, QUEUES, 'rate_max', int)
  await addColumnOnce(qi, QUEUES, 'rate_per_ms', int)
  await addColumnOnce(qi, QUEUES, 'window_no', { type: DataTypes.BIGINT, allowNull: true })
  await addColumnOnce(qi, QUEUES, 'window_count', { ...int, allowNull: false, defaultValue: 0 })
  await addColumnOnce(qi, QUEUES, 'config_limits', { type: DataTypes.TEXT, allowNull: true })
}

export async function down(qi: QueryInterface): Promise<void> {
  if (await tableExists(qi, KEYS)) await qi.dropTable(KEYS)
  for (const index of ['async_tasks_blocked', 'async_tasks_unique_hold']) {
    const existing = (await qi.showIndex(TABLE)) as Array<{ name: string }>
    if (existing.some((i) => i.name === index)) await qi.removeIndex(TABLE, index)
  }
  for (const column of [
    'permits',
    'concurrency_limit',
    'concurrency_key',
    'unique_until',
    'unique_hold',
    'unique_key',
  ]) {
    await dropColumn(qi, TABLE, column)
  }
  for (const column of [
    'config_limits',
    'window_count',
    'window_no',
    'rate_per_ms',
    'rate_max',
    'running',
    'concurrency',
  ]) {
    await dropColumn(qi, QUEUES, column)
  }
}
