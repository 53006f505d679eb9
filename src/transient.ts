/**
 * Errors that say "try again now" rather than "the database is down": a
 * deadlock victim (MySQL 1213, PostgreSQL 40P01, and how Galera refuses a
 * conflicting commit), a serialization failure (40001) or a lock wait that
 * timed out (MySQL 1205). The statement (and, for these, its transaction)
 * did nothing, so running it again at once is safe; waiting a whole poll
 * interval (as for an outage) only costs throughput. Sequelize wraps the
 * driver's error in `parent`; the lifecycle's statements see it bare.
 */
const CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', '40P01', '40001'])
const ERRNOS = new Set([1213, 1205])

interface DriverError {
  code?: unknown
  errno?: unknown
  parent?: DriverError
}

function matches(err: DriverError | undefined): boolean {
  return (
    err !== undefined &&
    err !== null &&
    ((typeof err.code === 'string' && CODES.has(err.code)) ||
      (typeof err.errno === 'number' && ERRNOS.has(err.errno)))
  )
}

export function isTransient(err: unknown): boolean {
  const e = err as DriverError | null | undefined
  return e !== null && e !== undefined && (matches(e) || matches(e.parent))
}

// The database is unreachable or not taking work right now, as opposed to
// refusing this statement: connection refused/reset/closed, server shutting
// down or starting, too many connections, SQLite locked past busy_timeout.
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_UNKNOWN_COM_ERROR', // Galera: node not ready for application use
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  '53300', // too many connections
  '57P01', // admin shutdown
  '57P02',
  '57P03', // cannot connect now (starting up, recovery)
  '25006', // read-only transaction: a failover in progress
])
const OUTAGE_NAMES =
  /^Sequelize(Connection|ConnectionRefused|ConnectionTimedOut|HostNotFound|HostNotReachable|ConnectionAcquireTimeout)Error$/
const OUTAGE_MESSAGES =
  /Connection terminated|connection error|Client was closed|read ECONNRESET|Cannot enqueue|closed state|--read-only/i

function outage(err: (DriverError & { name?: unknown; message?: unknown }) | undefined): boolean {
  if (!err) return false
  if (typeof err.code === 'string' && (OUTAGE_CODES.has(err.code) || err.code.startsWith('08')))
    return true
  if (typeof err.name === 'string' && OUTAGE_NAMES.test(err.name)) return true
  return typeof err.message === 'string' && OUTAGE_MESSAGES.test(err.message)
}

/** Whether an error says the database cannot be reached (retry while it lasts), not "this row". */
export function isOutage(err: unknown): boolean {
  const e = err as (DriverError & { name?: unknown; message?: unknown }) | null | undefined
  return e !== null && e !== undefined && (outage(e) || outage(e.parent))
}
