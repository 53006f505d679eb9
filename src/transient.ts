/**
 * Errors that say "try again now" rather than "the database is down": a
 * deadlock victim (MySQL 1213, PostgreSQL 40P01), a serialization failure
 * (40001) or a lock wait that timed out (MySQL 1205). The statement did
 * nothing, so retrying at once is safe; waiting a whole poll interval (as for
 * an outage) only costs throughput.
 */
const CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', '40P01', '40001'])
const ERRNOS = new Set([1213, 1205])

export function isTransient(err: unknown): boolean {
  const parent = (err as { parent?: { code?: unknown; errno?: unknown } } | null)?.parent
  return (
    parent !== undefined &&
    ((typeof parent.code === 'string' && CODES.has(parent.code)) ||
      (typeof parent.errno === 'number' && ERRNOS.has(parent.errno)))
  )
}
