/**
 * A worker's step: the outcomes of the runs that just ended, and the claim
 * of the next tasks, in one round trip where the dialect allows it. A busy
 * worker then pays one commit per step instead of one per outcome plus one
 * per claim.
 *
 * - PostgreSQL: one statement, both as data-modifying CTEs. They touch
 *   different rows (a finished row is no longer `ready = 1`), and the
 *   statement is atomic, so a crash between the two cannot happen.
 * - MySQL/MariaDB and SQLite: one transaction of ours around complete.ts
 *   and claim.ts, so one commit (one log flush) for both.
 */
import {
  claimCtes,
  claimOn,
  claimShape,
  claimValues,
  condition,
  type ClaimRequest,
} from './claim.js'
import {
  completeArrays,
  completeCtes,
  completedFrom,
  completeOn,
  LeaseLost,
  type Completed,
  type Finished,
} from './complete.js'
import type { Connections, Exec } from './connection.js'
import type { Dialect } from './dialect.js'
import { handOffCtesPg, handOffOn, settleKeysOn, type HandedOff } from './keys.js'
import { releaseQueues } from './queue-limits.js'
import { byClaimOrder, fromDb, type TaskRow } from './row.js'
import { recordJoinSql, takeRecords, type Preloaded } from './record-join.js'
import { listId, shaped } from './sql.js'

export interface Step extends Completed {
  /** The tasks claimed, in claim order. */
  claimed: TaskRow[]
  /** Records the claim read for the claimed tasks (request.records), by task id. */
  records: Map<number, Preloaded>
  /**
   * Key permits the outcomes freed that no blocked task took, per key: the
   * caller gives them back with giveBack() once the step has committed.
   */
  rest?: Map<string, number>
  /**
   * Queues of the tasks the hand-off made due that this step did not claim:
   * the caller wakes the workers of those queues (a worker whose claim came
   * back short would otherwise wait for its next poll).
   */
  due?: string[]
  /**
   * SQLite: handing on or releasing the permits of stored outcomes failed
   * (the outcomes stay stored); the caller logs it.
   */
  permitsFailed?: unknown
}

const noRecords = (): Map<number, Preloaded> => new Map()

const NOTHING: Completed = { owned: new Set(), cancelled: new Set(), parents: [], watched: [] }

const NO_CLAIM: ClaimRequest = { queue: null, exclude: [], limit: 0, workerId: '', leaseMs: 0 }

/**
 * A statement error of the record joins (a model's table or column renamed
 * or gone while the worker runs): SQLSTATE classes 42 (undefined table,
 * column, function…) and 22 (data exception). Not a lost connection, not
 * a conflict.
 */
function joinBroke(err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && (code.startsWith('42') || code.startsWith('22'))
}

/**
 * PostgreSQL: outcomes and claim in one statement. With `keyed`, the
 * outcomes hand their key permits on in it too (keys.ts, handOffCtesPg),
 * and the permits nobody took come back in `rest`, per key.
 */
async function stepPostgres(
  exec: Exec,
  batch: Finished[],
  request: ClaimRequest,
  keyed = false,
): Promise<Step> {
  const joins = request.records ?? []
  const records = recordJoinSql(joins)
  const key = `step:${keyed ? 'keyed' : 'plain'}:${claimShape(request, true)}:${listId(joins)}`
  const sql = shaped(key, () => {
    const settle = keyed ? `, ${handOffCtesPg(condition('postgres', request, true))}` : ''
    // The outcomes travel back as one JSON array on the first row, beside the claimed rows.
    return `WITH ${completeCtes(keyed)}, ${claimCtes(request)}${settle}
    SELECT d.done AS done_rows${
      keyed
        ? `, (SELECT keys FROM rest) AS rest_keys,
      (SELECT array_agg(DISTINCT queue) FROM admitted WHERE ready = 1) AS due_queues`
        : ''
    }, c.*${records.select}
    FROM (SELECT json_agg(json_build_object('id', id, 'status', status,
            'has_dependents', has_dependents, 'watched', watched)) AS done FROM done) AS d
    LEFT JOIN ${keyed ? '(SELECT * FROM claimed UNION ALL SELECT * FROM taken)' : 'claimed'} AS c ON true${records.from}`
  })
  let rows
  try {
    ;({ rows } = await exec(sql, {
      ...completeArrays(batch, keyed),
      ...claimValues(request),
      ...records.values,
      workerId: request.workerId,
    }))
  } catch (err) {
    // One statement: it did nothing, so it runs again, reading no records.
    if (joins.length === 0 || !joinBroke(err)) throw err
    request.recordsFailed?.(err)
    return stepPostgres(exec, batch, { ...request, records: [] }, keyed)
  }
  const done = (rows[0]?.done_rows as Array<Record<string, unknown>> | null) ?? []
  const rest = rows[0]?.rest_keys as Record<string, number> | null | undefined
  const due = rows[0]?.due_queues as string[] | null | undefined
  const preloaded = takeRecords(rows, joins)
  const claimed = rows.filter((row) => row.id !== null).map(fromDb)
  return {
    ...completedFrom(done),
    claimed: claimed.sort(byClaimOrder),
    records: preloaded,
    ...(rest ? { rest: new Map(Object.entries(rest)) } : {}),
    ...(due ? { due } : {}),
  }
}

/** The key permits freed by the outcomes that were stored, per key, with the key's limit. */
function freedKeys(batch: Finished[], owned: Set<number>): Map<string, { n: number; lim: number }> {
  const keys = new Map<string, { n: number; lim: number }>()
  for (const f of batch) {
    if (f.concurrencyKey === null || (f.permits & 1) !== 1 || !owned.has(f.id)) continue
    const key = keys.get(f.concurrencyKey) ?? { n: 0, lim: 1 }
    key.n++
    key.lim = Math.max(key.lim, f.concurrencyLimit ?? 1)
    keys.set(f.concurrencyKey, key)
  }
  return keys
}

/** The queue permits freed by the outcomes that were stored, per queue. */
function freedQueues(batch: Finished[], owned: Set<number>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const f of batch) {
    if ((f.permits & 2) === 2 && owned.has(f.id))
      counts.set(f.queue, (counts.get(f.queue) ?? 0) + 1)
  }
  return counts
}

/** The queues of the tasks handed a permit that the claim after it did not take. */
function dueQueues({ handed }: HandedOff, claimed: TaskRow[]): string[] {
  const taken = new Set(claimed.map((row) => row.id))
  return [...new Set(handed.filter((task) => !taken.has(task.id)).map((task) => task.queue))]
}

/**
 * Records `batch` (outcomes of this worker's runs) and claims per
 * `request` (null or limit 0: no claim).
 */
export async function step(
  connections: Connections,
  dialect: Dialect,
  batch: Finished[],
  request: ClaimRequest | null,
  workerId: string,
  date: (d: Date) => unknown,
): Promise<Step> {
  const claim = request && request.limit > 0 ? request : null
  if (batch.length === 0 && !claim) return { ...NOTHING, claimed: [], records: noRecords() }
  // Outcomes that free permits hand them on (a key's) or release them (a
  // queue's), and a claim from a limited queue locks it: with the outcomes,
  // in one statement or transaction.
  const flow = batch.some((f) => f.permits !== 0) || claim?.limited === true
  // PostgreSQL: key permits alone are handed on in the statement (keys.ts);
  // queue permits and limited claims take the transaction below.
  const keyedOnly = flow && !claim?.limited && batch.every((f) => (f.permits & 2) === 0)
  if (keyedOnly && dialect === 'postgres') {
    return connections.with((exec) =>
      stepPostgres(exec, batch, claim ?? { ...NO_CLAIM, workerId }, true),
    )
  }
  if (!flow && dialect === 'postgres') {
    if (!claim) {
      return connections.with(async (exec) => ({
        ...(await completeOn(exec, dialect, batch, workerId, date)),
        claimed: [],
        records: noRecords(),
      }))
    }
    return connections.with((exec) => stepPostgres(exec, batch, claim))
  }
  // SQLite runs one statement alone without a transaction of ours.
  if (!flow && dialect === 'sqlite' && (batch.length === 0 || !claim)) {
    return connections.with(async (exec) => {
      const records = noRecords()
      return {
        ...(await completeOn(exec, dialect, batch, workerId, date)),
        claimed: claim ? await claimOn(exec, dialect, claim, date, records) : [],
        records,
      }
    })
  }
  const inOne = (locking: boolean): Promise<Step> =>
    connections.transaction(async (exec) => {
      const done = await completeOn(exec, dialect, batch, workerId, date, locking)
      const { owned } = done
      let handedOff: HandedOff | undefined
      let permitsFailed: unknown
      try {
        const keys = freedKeys(batch, owned)
        if (keys.size > 0) handedOff = await handOffOn(exec, dialect, date, keys)
        const queues = freedQueues(batch, owned)
        if (queues.size > 0) await releaseQueues(exec, dialect, queues)
      } catch (err) {
        // SQLite commits the stored outcomes all the same (see below): they
        // must not be written again, which would find their leases gone
        // and report them lost. A hand-off that completed before the
        // failure is committed too and reported as usual; what failed
        // stays counted until the upkeep's recount and sweep.
        if (dialect !== 'sqlite') throw err
        permitsFailed = err
      }
      const records = noRecords()
      const claiming = claimOn(exec, dialect, claim ?? NO_CLAIM, date, records)
      const stepped = (claimed: TaskRow[]): Step => ({
        ...done,
        claimed,
        records,
        ...(handedOff ? { rest: handedOff.rest, due: dueQueues(handedOff, claimed) } : {}),
        ...(permitsFailed === undefined ? {} : { permitsFailed }),
      })
      // SQLite commits what succeeded (Connections.transaction): stored
      // outcomes stay stored when the claim fails, and the worker claims
      // again on its next look for work.
      if (dialect === 'sqlite') return stepped(await claiming.catch(() => []))
      try {
        return stepped(await claiming)
      } catch (err) {
        // The transaction is lost: the worker stops joining, and the
        // outcomes are written again (the recorder) with a claim without.
        if (claim?.records?.length && joinBroke(err)) claim.recordsFailed?.(err)
        throw err
      }
    })
  try {
    return await inOne(false)
  } catch (err) {
    if (!(err instanceof LeaseLost)) throw err
    return inOne(true)
  }
}

/**
 * Key permits no blocked task took (Step.rest) go back to their keys'
 * counts, under the keys' locks, in a transaction after the step's own
 * (taking a key's lock while holding the rows handed off could deadlock
 * with an admission that holds the lock and reads them).
 */
export function giveBack(
  connections: Connections,
  dialect: Dialect,
  date: (d: Date) => unknown,
  rest: Map<string, number>,
): Promise<number> {
  return connections.transaction((exec) =>
    settleKeysOn(exec, dialect, date, [...rest.keys()], rest),
  )
}
