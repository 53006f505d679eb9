/**
 * 0001: the async_tasks table and the indexes the claim relies on.
 *
 * `ready` keeps the hot set small on every dialect: 1 = pending and due,
 * 0 = pending but scheduled in the future, NULL = running or finished. The
 * claim reads only the `ready = 1` range of its index and promotion reads only
 * the `ready = 0` range, so a million finished or far-future rows do not sit
 * in front of the next due task (a plain `status = 'pending'` index would put
 * high-priority future tasks ahead of due ones). On PostgreSQL and SQLite
 * these indexes are partial, so a task that leaves a state leaves the index:
 * a finished row is written into 3 indexes instead of 7 (on PostgreSQL an
 * outcome UPDATE wrote about 8.7 KB of WAL with full indexes; see
 * docs/benchmarks.md).
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { addIndexOnce, tableExists } from './step.js'

export const TABLE = 'async_tasks'

export const name = '0001-create-async-tasks'

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  const { DataTypes } = S
  if (!(await tableExists(qi, TABLE))) {
    await qi.createTable(TABLE, {
      id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true },
      object_type: { type: DataTypes.STRING(255), allowNull: false },
      object_id: { type: DataTypes.STRING(255), allowNull: true },
      action: { type: DataTypes.STRING(255), allowNull: false },
      args: { type: DataTypes.TEXT, allowNull: false },
      queue: { type: DataTypes.STRING(100), allowNull: false, defaultValue: 'default' },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 10 },
      scheduled_at: { type: DataTypes.DATE(3), allowNull: false },
      ready: { type: DataTypes.SMALLINT, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      success: { type: DataTypes.BOOLEAN, allowNull: true },
      result: { type: DataTypes.TEXT, allowNull: true },
      error: { type: DataTypes.TEXT, allowNull: true },
      attempt_errors: { type: DataTypes.TEXT, allowNull: true },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      max_attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      interruptions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      timeout_ms: { type: DataTypes.INTEGER, allowNull: true },
      locked_by: { type: DataTypes.STRING(255), allowNull: true },
      locked_until: { type: DataTypes.DATE(3), allowNull: true },
      started_at: { type: DataTypes.DATE(3), allowNull: true },
      finished_at: { type: DataTypes.DATE(3), allowNull: true },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
    })
  }
  // Serves the claim of one queue exactly: equality on (ready, queue), then
  // the ORDER BY. MySQL/MariaDB need the DESC column in the index, or the
  // claim sorts, locks every candidate and a second worker sees nothing.
  await addIndexOnce(
    qi,
    TABLE,
    'async_tasks_claim_queue',
    ['ready', 'queue', { name: 'priority', order: 'DESC' }, 'scheduled_at', 'id'],
    { ready: 1 },
  )
  // The same for workers that take every queue (`*`).
  await addIndexOnce(
    qi,
    TABLE,
    'async_tasks_claim_any',
    ['ready', { name: 'priority', order: 'DESC' }, 'scheduled_at', 'id'],
    { ready: 1 },
  )
  // Promotion of scheduled tasks that became due: the `ready = 0` range by time.
  await addIndexOnce(qi, TABLE, 'async_tasks_due', ['ready', 'scheduled_at'], { ready: 0 })
  // Rescue of expired leases: the (small) running set by lease end.
  await addIndexOnce(qi, TABLE, 'async_tasks_lease', ['status', 'locked_until'], {
    status: 'running',
  })
  // Listing and pruning by outcome.
  await addIndexOnce(qi, TABLE, 'async_tasks_status', ['status', 'finished_at'])
  await addIndexOnce(qi, TABLE, 'async_tasks_object', ['object_type', 'object_id'])
  if (qi.sequelize.getDialect() === 'postgres') await addNotifyTrigger(qi)
}

/**
 * PostgreSQL wakes idle workers on commit of an insert, with no extra round
 * trip for the enqueuer: one NOTIFY per statement, delivered only if the
 * enqueuing transaction commits (so a rolled-back task wakes nobody).
 */
async function addNotifyTrigger(qi: QueryInterface): Promise<void> {
  await qi.sequelize.query(`
    CREATE OR REPLACE FUNCTION async_tasks_notify() RETURNS trigger AS $$
    BEGIN
      PERFORM pg_notify('sequelize_async', '');
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql`)
  await qi.sequelize.query(`DROP TRIGGER IF EXISTS async_tasks_notify ON ${TABLE}`)
  await qi.sequelize.query(`
    CREATE TRIGGER async_tasks_notify AFTER INSERT ON ${TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION async_tasks_notify()`)
}

export async function down(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() === 'postgres') {
    await qi.sequelize.query(`DROP TRIGGER IF EXISTS async_tasks_notify ON ${TABLE}`)
    await qi.sequelize.query(`DROP FUNCTION IF EXISTS async_tasks_notify()`)
  }
  if (await tableExists(qi, TABLE)) await qi.dropTable(TABLE)
}
