/**
 * claim: pending and due → running, under a lease. One atomic step per
 * dialect; several workers on several hosts never take the same task.
 *
 * - PostgreSQL: a CTE picks with `FOR UPDATE SKIP LOCKED` and the UPDATE
 *   marks exactly the locked rows. Concurrent claims pick disjoint rows
 *   without waiting on each other. It is written as CTE parts so that
 *   step.ts can send it in the same statement as the outcomes before it.
 * - MySQL 8 / MariaDB 10.6+: inside a READ COMMITTED transaction, a locking
 *   `SELECT … FOR UPDATE SKIP LOCKED` returns the rows, then an UPDATE by id
 *   marks them (no `UPDATE … RETURNING` there). FORCE INDEX keeps the ORDER
 *   BY served by the claim index: if the server sorted instead, it would
 *   lock every candidate and a second worker would see nothing. Sequelize
 *   drops `skipLocked` on this dialect, hence the SQL.
 * - SQLite: `UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING *`. A writing
 *   statement takes the single write lock before it reads, so the pick and
 *   the mark see one state no other connection can change in between.
 *
 * Every variant reads only the `ready = 1` range of an index ordered like
 * the claim, so finished history and far-future tasks never sit in front of
 * the next due task (migrations/0001).
 */
import type { Exec } from './connection.js'
import { isMysql, later, NOW, type Dialect } from './dialect.js'
import { byClaimOrder, fromDb, type TaskRow } from './row.js'
import { listId, shaped, type Values } from './sql.js'
import { isOutage } from '../transient.js'
import {
  readRecordsOn,
  recordJoinSql,
  takeRecords,
  type Preloaded,
  type RecordJoin,
} from './record-join.js'
import { countClaim, lockQueue, unlimitedGuard } from './queue-limits.js'

/** What a worker asks of a claim. */
export interface ClaimRequest {
  /** One queue, or null for every queue. */
  queue: string | null
  /** With `queue: null`: queues to leave alone (paused). */
  exclude: string[]
  /** At most this many tasks. */
  limit: number
  workerId: string
  leaseMs: number
  /** The queue has limits (as the worker's upkeep last read): claim under its lock. */
  limited?: boolean
  /**
   * Read the records of these models with the claim (record-join.ts); only
   * when the claimed tasks start at once.
   */
  records?: RecordJoin[]
  /**
   * Reading `records` failed as a statement (a table changed): PostgreSQL's
   * claim ran again without; elsewhere the claim stands without them.
   */
  recordsFailed?: (err: unknown) => void
}

/** What the claim's text depends on (see condition()), for shaped() keys. */
export function claimShape(request: ClaimRequest, guard: boolean): string {
  const which = request.queue !== null ? 'queue' : request.exclude.length > 0 ? 'except' : 'any'
  return `${which}${guard ? ':guard' : ''}`
}

/** Which rows a claim may take: its queue, not the paused, and (unless it holds the lock) no limited queue. */
export function condition(dialect: Dialect, request: ClaimRequest, guard: boolean): string {
  const named = request.queue !== null
  const limits = guard ? ` ${unlimitedGuard(dialect, named)}` : ''
  if (named) return `AND queue = :queue${limits}`
  if (request.exclude.length === 0) return limits
  const paused =
    dialect === 'postgres' ? 'AND queue <> ALL(:exclude::text[])' : 'AND queue NOT IN (:exclude)'
  return `${paused}${limits}`
}

const ORDER = 'ORDER BY priority DESC, scheduled_at, id'

/** A task claimed under its queue's cap holds the queue's permit (`:qp` is 2 then, else 0). */
const QUEUE_PERMIT = 'permits = permits | :qp'

/** A unique key held until the task starts is released by its claim. */
const RELEASE_HOLD =
  "unique_hold = CASE WHEN unique_until = 'finished' THEN unique_hold ELSE NULL END"

/** The values a claim binds (names a statement does not use are ignored). */
export function claimValues(request: ClaimRequest, queuePermit = 0): Values {
  const { queue, exclude, limit, workerId, leaseMs } = request
  return { queue, exclude, limit, workerId, leaseMs, qp: queuePermit }
}

/** PostgreSQL: the claim as two CTE parts, `picked` and `claimed` (RETURNING the rows). */
export function claimCtes(request: ClaimRequest, guard = true): string {
  return `picked AS (
    SELECT id FROM async_tasks WHERE ready = 1 ${condition('postgres', request, guard)}
    ${ORDER} LIMIT :limit FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE async_tasks AS t
    SET status = 'running', ready = NULL, locked_by = :workerId, ${RELEASE_HOLD}, ${QUEUE_PERMIT},
        locked_until = ${later('postgres', 'lease')}, started_at = now(), updated_at = now()
    FROM picked WHERE t.id = picked.id
    RETURNING t.*
  )`
}

/** SQLite: one statement. `leaseAt` and `now` are the host's clock (the database's). */
function sqliteClaim(request: ClaimRequest, guard: boolean): string {
  return `UPDATE async_tasks
    SET status = 'running', ready = NULL, locked_by = :workerId, ${RELEASE_HOLD}, ${QUEUE_PERMIT}, locked_until = :leaseAt,
        started_at = :now, updated_at = :now
    WHERE id IN (
      SELECT id FROM async_tasks WHERE ready = 1 ${condition('sqlite', request, guard)}
      ${ORDER} LIMIT :limit
    )
    RETURNING *`
}

/** MySQL/MariaDB: the locking read, with the database's time to stamp the claim with. */
function mysqlPick(request: ClaimRequest, guard: boolean): string {
  const index = request.queue === null ? 'async_tasks_claim_any' : 'async_tasks_claim_queue'
  return `SELECT *, ${NOW.mysql} AS claimed_at FROM async_tasks FORCE INDEX (${index})
    WHERE ready = 1 ${condition('mysql', request, guard)}
    ${ORDER} LIMIT :limit
    FOR UPDATE SKIP LOCKED`
}

const MYSQL_MARK = `UPDATE async_tasks
  SET status = 'running', ready = NULL, locked_by = :workerId, ${RELEASE_HOLD}, ${QUEUE_PERMIT},
      locked_until = DATE_ADD(:claimedAt, INTERVAL :leaseMs * 1000 MICROSECOND),
      started_at = :claimedAt, updated_at = :claimedAt
  WHERE id IN (:ids)`

/**
 * Claims on one connection. MySQL/MariaDB, and a limited queue on every
 * dialect: the caller runs this inside a transaction of ours
 * (Connections.transaction); the others are one statement. `date` formats a
 * Date as a parameter of the dialect.
 */
export async function claimOn(
  exec: Exec,
  dialect: Dialect,
  request: ClaimRequest,
  date: (d: Date) => unknown,
  records?: Map<number, Preloaded>,
): Promise<TaskRow[]> {
  if (request.limit <= 0) return []
  if (!request.limited || request.queue === null)
    return claimRows(exec, dialect, request, date, 0, true, undefined, records)
  const room = await lockQueue(exec, dialect, request.queue, request.limit, date)
  if (!room) return claimRows(exec, dialect, request, date, 0, false, undefined, records) // no longer limited
  if (room.room === 0) return []
  const limited = { ...request, limit: room.room }
  const capped = room.capped ? 2 : 0
  const rows = await claimRows(exec, dialect, limited, date, capped, false, room.at, records)
  await countClaim(exec, request.queue, room, rows.length)
  return rows
}

async function claimRows(
  exec: Exec,
  dialect: Dialect,
  request: ClaimRequest,
  date: (d: Date) => unknown,
  queuePermit = 0,
  guard = true,
  at?: Date,
  records?: Map<number, Preloaded>,
): Promise<TaskRow[]> {
  const values = claimValues(request, queuePermit)
  const shape = claimShape(request, guard)
  if (dialect === 'sqlite') {
    const now = at ?? new Date()
    const sql = shaped(`claim:sqlite:${shape}`, () => sqliteClaim(request, guard))
    const { rows } = await exec(sql, {
      ...values,
      now: date(now),
      leaseAt: date(new Date(now.getTime() + request.leaseMs)),
    })
    const claimed = rows.map(fromDb).sort(byClaimOrder)
    await readRecords(exec, dialect, request, claimed, records)
    return claimed
  }
  if (!isMysql(dialect)) {
    // With the records of the claimed tasks, when asked (record-join.ts).
    const joins = (records && request.records) || []
    const join = recordJoinSql(joins)
    const sql = shaped(
      `claim:postgres:${shape}:${listId(joins)}`,
      () =>
        `WITH ${claimCtes(request, guard)} SELECT c.*${join.select} FROM claimed AS c${join.from}`,
    )
    const { rows } = await exec(sql, { ...values, ...join.values })
    for (const [id, record] of takeRecords(rows, joins)) records?.set(id, record)
    return rows.map(fromDb).sort(byClaimOrder)
  }
  const pick = shaped(`claim:mysql:${shape}`, () => mysqlPick(request, guard))
  const { rows } = await exec(pick, values)
  if (rows.length === 0) return []
  const claimedAt = at ?? (rows[0]?.claimed_at as Date)
  await exec(MYSQL_MARK, {
    workerId: request.workerId,
    leaseMs: request.leaseMs,
    claimedAt: date(claimedAt),
    ids: rows.map((row) => row.id),
    qp: queuePermit,
  })
  const claimed = rows.map((row) => ({
    ...fromDb(row),
    status: 'running' as const,
    ready: null,
    lockedBy: request.workerId,
    lockedUntil: new Date(claimedAt.getTime() + request.leaseMs),
    startedAt: claimedAt,
    updatedAt: claimedAt,
    permits: Number(row.permits) | queuePermit,
  }))
  await readRecords(exec, dialect, request, claimed, records)
  return claimed
}

/**
 * MySQL/MariaDB and SQLite: the records of the claimed tasks, read after
 * the claim in its transaction (record-join.ts). A SELECT that fails there
 * leaves the transaction as it was on both: the claim stands, this worker
 * stops reading records with its claims (said once), and the tasks load
 * theirs the ordinary way. A lost connection fails the claim as any
 * statement would.
 */
async function readRecords(
  exec: Exec,
  dialect: Dialect,
  request: ClaimRequest,
  claimed: TaskRow[],
  records: Map<number, Preloaded> | undefined,
): Promise<void> {
  const joins = request.records
  if (!records || !joins || joins.length === 0 || claimed.length === 0) return
  try {
    await readRecordsOn(exec, dialect, joins, claimed, records)
  } catch (err) {
    if (isOutage(err)) throw err
    request.recordsFailed?.(err)
  }
}
