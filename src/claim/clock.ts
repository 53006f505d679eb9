/**
 * One clock for leases and due times: the database's. A lease written by a
 * worker on one host is compared by a worker on another, so neither host's
 * clock may decide. SQLite has no server; its clock is the clock of the one
 * host that opens the file, so there the worker's own clock is the database's.
 *
 * `now` and `until` are SQL expressions; their values (if any) travel as
 * replacements, never inside the SQL text.
 */
import type { Context } from '../context.js'

export interface Clock {
  now: string
  until: string
  replacements: Record<string, unknown>
}

export function clock(ctx: Context, leaseMs: number): Clock {
  switch (ctx.dialect) {
    case 'postgres':
      return {
        now: 'now()',
        until: "now() + (:leaseMs * interval '1 millisecond')",
        replacements: { leaseMs },
      }
    case 'mysql':
    case 'mariadb':
      // Sequelize sets the session time_zone to its own `timezone`, so NOW(3)
      // reads in the same zone as the DATETIME values it writes.
      return {
        now: 'NOW(3)',
        until: 'DATE_ADD(NOW(3), INTERVAL :leaseUs MICROSECOND)',
        replacements: { leaseUs: leaseMs * 1000 },
      }
    case 'sqlite': {
      // Dates travel as replacements so Sequelize formats them exactly as it
      // stores DATE columns on SQLite (text), keeping comparisons textual-safe.
      const now = Date.now()
      return {
        now: ':now',
        until: ':until',
        replacements: { now: new Date(now), until: new Date(now + leaseMs) },
      }
    }
  }
}

/**
 * A JS Date as a replacement value. Sequelize escapes a Date replacement for
 * MySQL/MariaDB without its milliseconds; formatted through the column's own
 * type (DATE(3), in the connection's `timezone`) it keeps them, exactly as a
 * model write would. The other dialects keep milliseconds as it is.
 */
export function sqlDate(ctx: Context, date: Date): Date | string {
  if (ctx.dialect !== 'mysql' && ctx.dialect !== 'mariadb') return date
  const type = ctx.AsyncTask.getAttributes().scheduledAt.type as unknown as {
    stringify(value: Date, options: { timezone?: string }): string
  }
  const { options } = ctx.sequelize as unknown as { options: { timezone?: string } }
  return type.stringify(date, { timezone: options.timezone })
}
