/**
 * What the lifecycle statements need to know of a dialect: how a Date
 * travels as a parameter, how a row's values come back, and the clock.
 *
 * One clock for leases and due times: the database's. A lease written by a
 * worker on one host is compared by a worker on another, so neither host's
 * clock may decide. SQLite has no server; its clock is the clock of the one
 * host that opens the file, so there the worker's own clock is the
 * database's, passed as a parameter.
 */
import type { Sequelize } from 'sequelize'

export type Dialect = 'postgres' | 'mysql' | 'mariadb' | 'sqlite'

export const isMysql = (d: Dialect): boolean => d === 'mysql' || d === 'mariadb'

interface DateType {
  stringify(value: Date, options: { timezone?: string }): string
}

/**
 * Dates as parameters, written exactly as Sequelize writes a DATE(3) column
 * (so models read them back and text comparisons on SQLite hold): pg takes a
 * Date; MySQL a local time in the connection's `timezone`; SQLite text with
 * the offset. UTC (Sequelize's default) takes a fast path.
 */
export function dateParam(sequelize: Sequelize, dialect: Dialect): (d: Date) => unknown {
  if (dialect === 'postgres') return (d) => d
  const { timezone = '+00:00' } = (sequelize as unknown as { options: { timezone?: string } })
    .options
  const utc = timezone === '+00:00' || timezone === 'UTC' || timezone === 'Z'
  if (utc) {
    const suffix = dialect === 'sqlite' ? ' +00:00' : ''
    return (d) => `${d.toISOString().replace('T', ' ').slice(0, 23)}${suffix}`
  }
  const DATE = (
    sequelize as unknown as { dialect: { DataTypes: { DATE: new (n: number) => DateType } } }
  ).dialect.DataTypes.DATE
  const type = new DATE(3)
  return (d) => type.stringify(d, { timezone })
}

/** A date column's value as a Date: SQLite keeps text, the drivers of the others parse. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  return new Date(value as string)
}

/** The database's clock in SQL: `now`, and `now` plus a parameter of milliseconds. */
export const NOW: Record<Dialect, string> = {
  postgres: 'now()',
  // Sequelize sets the session time_zone to its own `timezone`, so NOW(3)
  // reads in the same zone as the DATETIME values it writes.
  mysql: 'NOW(3)',
  mariadb: 'NOW(3)',
  sqlite: ':now',
}

/** `now + :<name>Ms` in SQL; SQLite takes the sum as the parameter `:<name>At`. */
export function later(dialect: Dialect, name: string): string {
  switch (dialect) {
    case 'postgres':
      return `(now() + :${name}Ms * interval '1 millisecond')`
    case 'mysql':
    case 'mariadb':
      return `DATE_ADD(NOW(3), INTERVAL :${name}Ms * 1000 MICROSECOND)`
    case 'sqlite':
      return `:${name}At`
  }
}

/**
 * `column IN (:name)` for a list of ids: one array parameter on PostgreSQL
 * (the statement text is the same for every length), a `?` list elsewhere.
 */
export const inList = (dialect: Dialect, column: string, name: string): string =>
  dialect === 'postgres' ? `${column} = ANY(:${name}::bigint[])` : `${column} IN (:${name})`
