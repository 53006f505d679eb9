/**
 * complete: running → succeeded | failed | pending again (retry, with its
 * delay). One UPDATE writes a whole batch of outcomes, of any mix of kinds;
 * a single outcome is a batch of one. Every row is guarded by the lease
 * (`locked_by` = this worker and still `running`): a worker whose task was
 * presumed dead and taken over writes nothing, so a task is never finished
 * twice, and the statement tells which rows were still ours.
 *
 * `attempts` counts in SQL (`attempts + 1`, capped at the column's largest
 * value so a corrupt count cannot make the write fail), the same for every
 * kind but snooze, which ends a run without counting it. Times come from
 * the database's clock.
 *
 * A task someone asked to cancel while it ran (`cancel_requested`) ends
 * cancelled whatever the run returned: the kind is decided in SQL (`K`),
 * against the row as it is when the outcome is written, so a cancel that
 * lands after the method returned but before the write still wins.
 *
 * - PostgreSQL: the batch travels as one array per column (`unnest`), so
 *   the text is the same for every batch size; as CTE parts, so step.ts can
 *   add the next claim to the same statement.
 * - SQLite: `UPDATE … FROM (VALUES …) RETURNING id`.
 * - MySQL/MariaDB: `UPDATE … JOIN (SELECT … UNION ALL …)`, no RETURNING:
 *   when fewer rows changed than were sent, some lease was lost, and the
 *   caller redoes the batch after a locking read of the rows still ours.
 */
import type { Exec } from './connection.js'
import { isMysql, NOW, type Dialect } from './dialect.js'
import { shaped, type Values } from './sql.js'
import { CancelledError } from '../errors.js'
import { serialize } from '../serializer.js'

/** How one run ended, as the worker hands it to the lifecycle. */
export interface Finished {
  id: number
  kind: 'succeeded' | 'retry' | 'failed' | 'snooze'
  /** Succeeded: the return value; failed: the rebuilt error (tagged JSON). */
  resultJson: string | null
  /** Retry and failed: `Name: message`. */
  error: string | null
  /** Retry and failed: every attempt's error so far (JSON). */
  historyJson: string | null
  /** Retry and snooze: ms until the next run. */
  delayMs: number
  /** When it really started, if later than its claim (prefetch). */
  startedAt: Date | null
  /** The task's key, queue and permits (as claimed): the outcome frees the permits. */
  concurrencyKey: string | null
  concurrencyLimit: number | null
  queue: string
  permits: number
}

const KIND = { succeeded: 's', retry: 'r', failed: 'f', snooze: 'z' } as const
const INT_MAX = 2147483647

/** What a batch write tells the worker, besides which rows were still its own. */
export interface Completed {
  /** Ids of the outcomes written (the rest had lost their lease). */
  owned: Set<number>
  /** Of those, the ones that ended cancelled (a cancel was asked while they ran). */
  cancelled: Set<number>
  /** Ended for good with tasks waiting on them: their children are decided next. */
  parents: number[]
  /** Ended for good while someone waits on them (`task.wait()`). */
  watched: number[]
}

const CANCELLED = new CancelledError('The task was cancelled while it ran.')
CANCELLED.stack = `${CANCELLED.name}: ${CANCELLED.message}`
const quoted = (text: string): string => `'${text.replace(/'/g, "''")}'`
/** The stored error and result of a task that ends cancelled (constants, so written inline). */
export const CANCEL_ERROR = quoted(`${CANCELLED.name}: ${CANCELLED.message}`)
const CANCEL_RESULT = quoted(serialize(CANCELLED))

/** The kind as the row decides it: a requested cancel wins over what the run returned. */
const K = "(CASE WHEN t.cancel_requested = 1 THEN 'c' ELSE v.kind END)"

function runAt(dialect: Dialect): string {
  if (dialect === 'postgres') return "(now() + v.delay_ms * interval '1 millisecond')"
  if (isMysql(dialect)) return 'DATE_ADD(NOW(3), INTERVAL v.delay_ms * 1000 MICROSECOND)'
  return 'v.run_at'
}

/** The SET list, shared by every dialect (MySQL's multi-table UPDATE qualifies targets). */
function assignments(dialect: Dialect): string {
  const q = isMysql(dialect) ? 't.' : ''
  const now = NOW[dialect]
  const later = runAt(dialect)
  return `${q}status = CASE ${K} WHEN 's' THEN 'succeeded' WHEN 'f' THEN 'failed' WHEN 'c' THEN 'cancelled' ELSE 'pending' END,
    ${q}success = CASE ${K} WHEN 's' THEN TRUE WHEN 'f' THEN FALSE ELSE NULL END,
    ${q}ready = CASE ${K} WHEN 'r' THEN 0 WHEN 'z' THEN 0 ELSE NULL END,
    ${q}result = CASE ${K} WHEN 'r' THEN t.result WHEN 'z' THEN t.result WHEN 'c' THEN ${CANCEL_RESULT} ELSE v.result END,
    ${q}error = CASE ${K} WHEN 's' THEN t.error WHEN 'z' THEN t.error WHEN 'c' THEN ${CANCEL_ERROR} ELSE v.error END,
    ${q}attempt_errors = CASE ${K} WHEN 'r' THEN v.history WHEN 'f' THEN v.history ELSE t.attempt_errors END,
    ${q}scheduled_at = CASE ${K} WHEN 'r' THEN ${later} WHEN 'z' THEN ${later} ELSE t.scheduled_at END,
    ${q}finished_at = CASE ${K} WHEN 'r' THEN NULL WHEN 'z' THEN NULL ELSE ${now} END,
    ${q}started_at = COALESCE(v.started_at, t.started_at),
    ${q}attempts = CASE WHEN ${K} = 'z' OR t.attempts >= ${INT_MAX} THEN t.attempts ELSE t.attempts + 1 END,
    ${q}unique_hold = CASE ${K} WHEN 'r' THEN t.unique_hold WHEN 'z' THEN t.unique_hold ELSE NULL END,
    ${q}progress = CASE ${K} WHEN 's' THEN 1 WHEN 'r' THEN NULL ELSE t.progress END,
    ${q}permits = 0, ${q}locked_by = NULL, ${q}locked_until = NULL, ${q}updated_at = ${now}`
}

const GUARD = "t.locked_by = :workerId AND t.status = 'running'"
/**
 * PostgreSQL: the batch's rows are found by primary key, a lookup per
 * outcome, and the statement keeps one plan per connection. Two things in
 * the text see to it (`perf record -a -g -- sleep 4` while `N=30000 node
 * bench/prof-drain.mjs postgres` drains: a fifth of PostgreSQL's CPU was in
 * one or the other):
 * - the guard cannot use an index on `status` (COALESCE): else the planner
 *   may read every `running` row through the lease or status index with a
 *   bitmap scan, which visits the entry each finished task's `running`
 *   version leaves behind until VACUUM, so an outcome cost more the more
 *   tasks had finished since;
 * - `LIMIT :size` (the batch's length) on the arrays: a generic plan
 *   estimates an array parameter at 10 rows and a custom plan knows it
 *   holds one, so the prepared statement was planned afresh on every call;
 *   with the LIMIT both estimate one row and the generic plan is kept.
 */
const PG_GUARD = "t.locked_by = :workerId AND COALESCE(t.status, '') = 'running'"

/**
 * PostgreSQL: the batch as CTE parts `v` and `done` (RETURNING the ids still
 * ours). With `keyed`, the batch also carries each task's key and permits as
 * claimed, and `done` returns them with the key's limit, for keys.ts to
 * free and settle in the same statement (`freed_key`, `freed_permits`,
 * `key_limit`).
 */
export function completeCtes(keyed = false): string {
  const more = keyed ? ', :keys::text[], :permits::int[]' : ''
  const names = keyed ? ', concurrency_key, permits' : ''
  const returning = keyed
    ? ', v.concurrency_key AS freed_key, v.permits AS freed_permits, t.concurrency_limit AS key_limit'
    : ''
  return `v AS (
    SELECT * FROM unnest(:ids::bigint[], :kinds::text[], :results::text[], :errors::text[],
                         :histories::text[], :delays::int[], :starts::timestamptz[]${more})
      AS v(id, kind, result, error, history, delay_ms, started_at${names})
    LIMIT :size
  ), done AS (
    UPDATE async_tasks AS t SET ${assignments('postgres')}
    FROM v WHERE t.id = v.id AND ${PG_GUARD}
    RETURNING t.id, t.status, t.has_dependents, t.watched${returning}
  )`
}

/** PostgreSQL: the values of completeCtes(keyed), a column per array. */
export function completeArrays(batch: Finished[], keyed = false): Values {
  const values: Values = {
    size: batch.length,
    ids: batch.map((f) => f.id),
    kinds: batch.map((f) => KIND[f.kind]),
    results: batch.map((f) => f.resultJson),
    errors: batch.map((f) => f.error),
    histories: batch.map((f) => f.historyJson),
    delays: batch.map((f) => Math.min(Math.round(f.delayMs), INT_MAX)),
    starts: batch.map((f) => f.startedAt),
  }
  if (keyed) {
    values.keys = batch.map((f) => f.concurrencyKey)
    values.permits = batch.map((f) => f.permits)
  }
  return values
}

/** SQLite and MySQL: the batch's values as named parameters, a set per row (see rowNames). */
function rowValues(
  batch: Finished[],
  values: Values,
  date: (d: Date) => unknown,
  now: number,
): void {
  batch.forEach((f, i) => {
    values[`id${i}`] = f.id
    values[`k${i}`] = KIND[f.kind]
    values[`r${i}`] = f.resultJson
    values[`e${i}`] = f.error
    values[`h${i}`] = f.historyJson
    values[`d${i}`] = Math.min(Math.round(f.delayMs), INT_MAX)
    values[`a${i}`] = date(new Date(now + f.delayMs))
    values[`s${i}`] = f.startedAt && date(f.startedAt)
  })
}

/** The parameter names of row `i` of rowValues(), in COLUMNS order. */
const rowNames = (i: number): string[] =>
  ['id', 'k', 'r', 'e', 'h', 'd', 'a', 's'].map((name) => `:${name}${i}`)

const COLUMNS = ['id', 'kind', 'result', 'error', 'history', 'delay_ms', 'run_at', 'started_at']

/** What the rows an outcome write returned say (id, status, has_dependents, watched). */
export function completedFrom(rows: Array<Record<string, unknown>>): Completed {
  const done: Completed = { owned: new Set(), cancelled: new Set(), parents: [], watched: [] }
  for (const row of rows) {
    const id = Number(row.id)
    done.owned.add(id)
    const status = String(row.status)
    // A retry or snooze: pending again, nothing follows yet.
    if (status === 'pending') continue
    // The worker never sends a cancel: a cancelled row is one whose cancel was requested.
    if (status === 'cancelled') done.cancelled.add(id)
    if (Number(row.has_dependents) === 1) done.parents.push(id)
    if (Number(row.watched) === 1) done.watched.push(id)
  }
  return done
}

/**
 * Writes a batch on one connection; resolves to the ids that were still
 * this worker's, and what became of them. MySQL/MariaDB: the caller runs it
 * inside a transaction of ours, and a `LeaseLost` rejection means "roll back
 * and call again with `locking`": that variant first reads which rows are
 * still ours.
 */
export async function completeOn(
  exec: Exec,
  dialect: Dialect,
  batch: Finished[],
  workerId: string,
  date: (d: Date) => unknown,
  locking = false,
): Promise<Completed> {
  if (batch.length === 0) return completedFrom([])
  if (dialect === 'postgres') {
    const sql = shaped('complete:postgres', () => `WITH ${completeCtes()} SELECT * FROM done`)
    const { rows } = await exec(sql, {
      ...completeArrays(batch),
      workerId,
    })
    return completedFrom(rows)
  }
  const now = Date.now()
  const values: Values = { workerId, now: date(new Date(now)) }
  if (dialect === 'sqlite') {
    rowValues(batch, values, date, now)
    const sql = shaped(`complete:sqlite:${batch.length}`, () => {
      const rows = batch.map((_, i) => `(${rowNames(i).join(', ')})`)
      return `WITH v(${COLUMNS.join(', ')}) AS (VALUES ${rows.join(', ')})
      UPDATE async_tasks AS t SET ${assignments(dialect)}
      FROM v WHERE t.id = v.id AND ${GUARD}
      RETURNING id, status, has_dependents, watched`
    })
    const result = await exec(sql, values)
    return completedFrom(result.rows)
  }
  const owned = await completeMysql(exec, batch, values, date, now, locking)
  if (owned.size === 0) return completedFrom([])
  // No RETURNING here: the rows that ended unlike the run said, or that
  // others wait on, by primary key in the same transaction.
  const { rows } = await exec(
    `SELECT id, status, has_dependents, watched FROM async_tasks
     WHERE id IN (:ids) AND (status = 'cancelled' OR has_dependents = 1 OR watched = 1)`,
    { ids: [...owned] },
  )
  const done = completedFrom(rows)
  for (const id of owned) done.owned.add(id)
  return done
}

/** Thrown inside a MySQL transaction when a batch met a lost lease. */
export class LeaseLost extends Error {}
async function completeMysql(
  exec: Exec,
  batch: Finished[],
  values: Values,
  date: (d: Date) => unknown,
  now: number,
  locking: boolean,
): Promise<Set<number>> {
  let mine = batch
  if (locking) {
    const { rows } = await exec(
      `SELECT id FROM async_tasks WHERE id IN (:ids) AND locked_by = :workerId AND status = 'running' FOR UPDATE`,
      { ids: batch.map((f) => f.id), workerId: values.workerId },
    )
    const owned = new Set(rows.map((row) => Number(row.id)))
    mine = batch.filter((f) => owned.has(f.id))
    if (mine.length === 0) return owned
  }
  rowValues(mine, values, date, now)
  const sql = shaped(`complete:mysql:${mine.length}`, () => {
    const selects = mine.map((_, i) => {
      const names = rowNames(i)
      return i === 0
        ? `SELECT ${names.map((n, c) => `${n} AS ${COLUMNS[c] as string}`).join(', ')}`
        : `SELECT ${names.join(', ')}`
    })
    return `UPDATE async_tasks AS t JOIN (${selects.join(' UNION ALL ')}) AS v ON t.id = v.id
    SET ${assignments('mysql')}
    WHERE ${GUARD}`
  })
  const { affected } = await exec(sql, values)
  if (affected !== mine.length) throw new LeaseLost()
  return new Set(mine.map((f) => f.id))
}
