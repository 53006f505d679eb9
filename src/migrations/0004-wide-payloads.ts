/**
 * 0004: payload columns large enough on MySQL/MariaDB. `TEXT` holds 64 KiB
 * there, while arguments and results may take up to `maxPayloadBytes`
 * (1 MiB by default), and a strict server refuses a longer value — so an
 * outcome could not be stored at all. LONGTEXT on MySQL/MariaDB; PostgreSQL
 * and SQLite text has no such limit, so this step does nothing there.
 *
 * On a large existing table the ALTER rebuilds it: run it at a quiet time
 * (docs/upgrading.md).
 */
import type { QueryInterface } from 'sequelize'
import type { SequelizeStatic } from './step.js'
import { TABLE } from './0001-create-async-tasks.js'

export const name = '0004-wide-payloads'

const COLUMNS = ['args', 'result', 'attempt_errors'] as const

const isMysql = (qi: QueryInterface): boolean =>
  ['mysql', 'mariadb'].includes(qi.sequelize.getDialect())

export async function up(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  if (!isMysql(qi)) return
  const described = await qi.describeTable(TABLE)
  const narrow = COLUMNS.filter((c) => !/longtext/i.test(String(described[c]?.type)))
  if (narrow.length === 0) return
  for (const column of narrow) {
    await qi.changeColumn(TABLE, column, {
      type: S.DataTypes.TEXT('long'),
      allowNull: column !== 'args',
    })
  }
}

export async function down(qi: QueryInterface, S: SequelizeStatic): Promise<void> {
  if (!isMysql(qi)) return
  for (const column of COLUMNS) {
    await qi.changeColumn(TABLE, column, { type: S.DataTypes.TEXT, allowNull: column !== 'args' })
  }
}
