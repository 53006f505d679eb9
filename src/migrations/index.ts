/**
 * The versioned schema steps, in order. `tasks.migrate()` applies them with
 * umzug; the host's generated sequelize-cli migration delegates to the same
 * list, so both paths build the same schema.
 */
import { DataTypes, type Sequelize } from 'sequelize'
import type { MigrationStep } from './step.js'
import * as createTasks from './0001-create-async-tasks.js'
import * as queuesAndRecurring from './0002-queues-and-recurring.js'
import * as workers from './0003-workers.js'
import * as widePayloads from './0004-wide-payloads.js'
import * as traceContext from './0005-trace-context.js'
import * as flowControl from './0006-flow-control.js'
import * as workflows from './0007-workflows.js'

/** Every schema step of sequelize-async, oldest first. */
export const migrationSteps: readonly MigrationStep[] = [
  createTasks,
  queuesAndRecurring,
  workers,
  widePayloads,
  traceContext,
  flowControl,
  workflows,
]

/** Applies the pending steps on this Sequelize instance; idempotent. */
export async function migrate(sequelize: Sequelize): Promise<string[]> {
  // Loaded here, not at import: a worker process never migrates, and umzug
  // and its dependencies cost it about 7 MB of memory.
  const { Umzug, SequelizeStorage } = await import('umzug')
  const qi = sequelize.getQueryInterface()
  const umzug = new Umzug({
    migrations: migrationSteps.map((step) => ({
      name: step.name,
      up: () => step.up(qi, { DataTypes }),
      down: () => step.down(qi, { DataTypes }),
    })),
    storage: new SequelizeStorage({
      sequelize,
      modelName: 'AsyncSchemaMigration',
      tableName: 'async_schema_migrations',
    }),
    logger: undefined,
  })
  const applied = await umzug.up()
  return applied.map((m) => m.name)
}
