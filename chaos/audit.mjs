// A trigger per dialect that writes every status change of a task (and every
// write of a final status, changed or not) to chaos_transitions, with the
// worker that held the lease. This is the database's own record of claims,
// retries and outcomes: it cannot miss a write the way a worker's log can
// when the worker is SIGKILLed between its write and its log line.
import { QueryTypes } from 'sequelize'

const FINAL = `('succeeded', 'failed', 'cancelled')`

const TABLE = {
  postgres: `CREATE TABLE chaos_transitions (id BIGSERIAL PRIMARY KEY, task_id BIGINT NOT NULL,
    old_status VARCHAR(16), new_status VARCHAR(16), old_locked_by VARCHAR(255),
    new_locked_by VARCHAR(255), old_attempts INTEGER, attempts INTEGER, at TIMESTAMPTZ NOT NULL)`,
  mysql: `CREATE TABLE chaos_transitions (id BIGINT AUTO_INCREMENT PRIMARY KEY, task_id BIGINT NOT NULL,
    old_status VARCHAR(16), new_status VARCHAR(16), old_locked_by VARCHAR(255),
    new_locked_by VARCHAR(255), old_attempts INTEGER, attempts INTEGER, at DATETIME(3) NOT NULL)`,
  sqlite: `CREATE TABLE chaos_transitions (id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER NOT NULL,
    old_status TEXT, new_status TEXT, old_locked_by TEXT, new_locked_by TEXT, old_attempts INTEGER,
    attempts INTEGER,
    at TEXT NOT NULL)`,
}

const INSERT = (now) => `INSERT INTO chaos_transitions
    (task_id, old_status, new_status, old_locked_by, new_locked_by, old_attempts, attempts, at)
    VALUES (NEW.id, OLD.status, NEW.status, OLD.locked_by, NEW.locked_by, OLD.attempts, NEW.attempts,
      ${now})`

const TRIGGER = {
  postgres: [
    `CREATE FUNCTION chaos_audit() RETURNS trigger AS $$
     BEGIN
       IF NEW.status IS DISTINCT FROM OLD.status OR NEW.status IN ${FINAL} THEN
         ${INSERT('clock_timestamp()')};
       END IF;
       RETURN NULL;
     END $$ LANGUAGE plpgsql`,
    `CREATE TRIGGER chaos_audit AFTER UPDATE ON async_tasks
     FOR EACH ROW EXECUTE FUNCTION chaos_audit()`,
  ],
  mysql: [
    `CREATE TRIGGER chaos_audit AFTER UPDATE ON async_tasks FOR EACH ROW
     BEGIN
       IF NOT (NEW.status <=> OLD.status) OR NEW.status IN ${FINAL} THEN
         ${INSERT('NOW(3)')};
       END IF;
     END`,
  ],
  sqlite: [
    `CREATE TRIGGER chaos_audit AFTER UPDATE ON async_tasks FOR EACH ROW
     WHEN NEW.status IS NOT OLD.status OR NEW.status IN ${FINAL}
     BEGIN ${INSERT(`strftime('%Y-%m-%d %H:%M:%f', 'now')`)}; END`,
  ],
}

const family = (dialect) => (dialect === 'mariadb' ? 'mysql' : dialect)

export async function installAudit(sequelize) {
  const dialect = family(sequelize.getDialect())
  await sequelize.query(TABLE[dialect])
  for (const sql of TRIGGER[dialect]) await sequelize.query(sql)
}

export function readTransitions(sequelize) {
  return sequelize.query(
    `SELECT task_id, old_status, new_status, old_locked_by, new_locked_by, old_attempts, attempts
     FROM chaos_transitions ORDER BY id`,
    { type: QueryTypes.SELECT },
  )
}
