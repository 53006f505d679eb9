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
