/**
 * What a schema step is, and the checks that make every step idempotent: the
 * same steps run from `tasks.migrate()` (recorded by umzug) and from the
 * host's sequelize-cli migration (recorded in SequelizeMeta), so a step must
 * find its work already done and do nothing.
 */
import type { QueryInterface, DataTypes as DataTypesNs } from 'sequelize'

/** The `Sequelize` namespace as sequelize-cli passes it to a migration. */
export interface SequelizeStatic {
  DataTypes: typeof DataTypesNs
}

/** One versioned schema step. */
export interface MigrationStep {
  name: string
  up(queryInterface: QueryInterface, Sequelize: SequelizeStatic): Promise<void>
  down(queryInterface: QueryInterface, Sequelize: SequelizeStatic): Promise<void>
}

export async function tableExists(qi: QueryInterface, table: string): Promise<boolean> {
  return qi.tableExists(table)
}

type IndexField = string | { name: string; order: 'ASC' | 'DESC' }

export async function addIndexOnce(
  qi: QueryInterface,
  table: string,
  name: string,
  fields: IndexField[],
  where?: Record<string, unknown>,
): Promise<void> {
  const existing = (await qi.showIndex(table)) as Array<{ name: string }>
  if (existing.some((index) => index.name === name)) return
  // Partial indexes where the database has them (PostgreSQL, SQLite): a row
  // leaving the state is then not re-inserted into the index at all.
  const partial =
    where && qi.sequelize.getDialect() !== 'mysql' && qi.sequelize.getDialect() !== 'mariadb'
  try {
    await qi.addIndex(table, { name, fields, ...(partial ? { where } : {}) })
  } catch (err) {
    // Two processes migrating at once: the other one won, which is fine.
    const again = (await qi.showIndex(table)) as Array<{ name: string }>
    if (!again.some((index) => index.name === name)) throw err
  }
}
