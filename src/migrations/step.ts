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
  { unique = false }: { unique?: boolean } = {},
): Promise<void> {
  const existing = (await qi.showIndex(table)) as Array<{ name: string }>
  if (existing.some((index) => index.name === name)) return
  // Partial indexes where the database has them (PostgreSQL, SQLite): a row
  // leaving the state is then not re-inserted into the index at all.
  const partial =
    where && qi.sequelize.getDialect() !== 'mysql' && qi.sequelize.getDialect() !== 'mariadb'
  try {
    await qi.addIndex(table, { name, fields, unique, ...(partial ? { where } : {}) })
  } catch (err) {
    // Two processes migrating at once: the other one won, which is fine.
    const again = (await qi.showIndex(table)) as Array<{ name: string }>
    if (!again.some((index) => index.name === name)) throw err
  }
}

/** Adds a column unless it is there (a re-run, or both migration paths). */
export async function addColumnOnce(
  qi: QueryInterface,
  table: string,
  column: string,
  spec: Parameters<QueryInterface['addColumn']>[2],
): Promise<void> {
  const described = await qi.describeTable(table)
  if (column in described) return
  try {
    await qi.addColumn(table, column, spec)
  } catch (err) {
    const again = await qi.describeTable(table)
    if (!(column in again)) throw err
  }
}

/**
 * Drops a column. SQLite: the native `ALTER TABLE … DROP COLUMN` (3.35+);
 * Sequelize's own removeColumn rebuilds the table there and loses its
 * partial indexes.
 */
export async function dropColumn(qi: QueryInterface, table: string, column: string): Promise<void> {
  const described = await qi.describeTable(table)
  if (!(column in described)) return
  if (qi.sequelize.getDialect() === 'sqlite') {
    await qi.sequelize.query(`ALTER TABLE ${table} DROP COLUMN ${column}`)
  } else {
    await qi.removeColumn(table, column)
  }
}
