/**
 * The one owner of a task's life. Every write of a task row's state
 * (`status`, `ready`, `success`, `locked_by`, `locked_until`, `attempts`,
 * `interruptions`, `result`, `error`, …) is one of the named statements of
 * this folder, run here; nothing else in the package writes those columns
 * (test/lifecycle-owner.test.ts keeps it so). docs/claiming.md draws the
 * states and lists the statements per dialect.
 *
 *   enqueue → pending (due, or scheduled → promote) → claim → running →
 *   complete: succeeded | failed | pending again (retry) ;
 *   running → release | rescue (lease expired) → pending, or failed ;
 *   pending → cancel → cancelled ; failed | cancelled → retry → pending ;
 *   finished → prune / remove.
 *
 * The worker's transitions are here; those an operator or the app asks for,
 * and the admission of blocked tasks to their concurrency key, in
 * operator.ts; how statements run (and are run again after a deadlock) in
 * base.ts.
 */
import type { Transaction } from 'sequelize'
import { logLine } from '../logger.js'
import type { ClaimRequest } from './claim.js'
import type { Finished } from './complete.js'
import { insertOn, type Inserted, type NewTask } from './enqueue.js'
import { chunksOf, flavourOf, insertChunk, type Flavour } from './enqueue-many.js'
import { heartbeatSql, heldByWorkerSql, releaseSql } from './lease.js'
import { releaseQueues } from './queue-limits.js'
import { OperatorTransitions } from './operator.js'
import type { TaskRow } from './row.js'
import { readRecordsOn, type Preloaded, type RecordJoin } from './record-join.js'
import type { Exec } from './connection.js'
import { giveBack, step, type Step } from './step.js'
import { failLost, promote, requeueLost } from './upkeep.js'
import {
  childrenSql,
  decideOn,
  linkOn,
  lockParentsOn,
  PARENT_RESULTS,
  SWEEP_WAITING,
  type Decided,
} from './deps.js'
import {
  cancelRequestedSql,
  FINISHED_CHANNEL,
  progressSql,
  requestCancelSql,
  watchSql,
} from './live.js'

export type { ClaimRequest } from './claim.js'
export type { Finished } from './complete.js'
export type { Inserted, NewTask } from './enqueue.js'
export type { Step } from './step.js'
export type { Preloaded, RecordJoin } from './record-join.js'
export type { Completed } from './complete.js'
export type { Decided, Released } from './deps.js'
export { FINISHED_CHANNEL } from './live.js'
export { fromDb, labelOf, toInstance, type TaskRow } from './row.js'
import { strOrNull } from './row.js'

export class Lifecycle extends OperatorTransitions {
  /**
   * The records of `rows` (ids and the object each names) of one model, by
   * primary key, one SELECT, outside any transaction (record-join.ts).
   */
  readRecords(
    join: RecordJoin,
    rows: Array<{ id: number; objectType: string; objectId: string | null }>,
  ): Promise<Map<number, Preloaded>> {
    return this.retrying(() =>
      this.connections.with(async (exec) => {
        const out = new Map<number, Preloaded>()
        await readRecordsOn(exec, this.dialect, [join], rows, out)
        return out
      }),
    )
  }

  /**
   * Told which queues got due work when waiting tasks were released, or
   * tasks handed a key's permit were not claimed (wakes this process's workers).
   */
  onReleased: (queues: string[]) => void = () => undefined
  /** What the server can return from a multi-row INSERT (asked once). */
  private flavour: Promise<Flavour> | undefined

  /**
   * enqueue: resolves to the new task's id, or to the task holding its
   * unique key; `now` is its created_at and updated_at. With `after`
   * (parents' ids), the task waits on them: the parents are locked and
   * checked, the task linked and decided, all in one transaction (the
   * app's, when it passes one).
   */
  async insert(
    task: NewTask,
    transaction: Transaction | null,
    now: Date,
    after: number[] = [],
  ): Promise<Inserted & { decided?: Decided }> {
    const values = { ...task, scheduledAt: this.date(task.scheduledAt), now: this.date(now) }
    if (after.length > 0) {
      const withParents = async (exec: Exec): Promise<Inserted & { decided?: Decided }> => {
        await lockParentsOn(exec, this.dialect, after)
        const inserted = await insertOn(exec, this.dialect, { ...values, ready: 3 })
        if (inserted.existing) return inserted
        await linkOn(exec, this.dialect, inserted.id, after)
        const decided = await decideOn(exec, this.dialect, this.date(now), [inserted.id])
        return { ...inserted, decided }
      }
      const result = transaction
        ? await withParents(this.connections.within(transaction))
        : await this.retrying(() => this.connections.transaction(withParents))
      return result
    }
    // Inside the app's transaction a deadlock aborts that transaction: only
    // the app can run it again.
    if (transaction) return insertOn(this.connections.within(transaction), this.dialect, values)
    return this.retrying(() =>
      this.connections.with((exec) => insertOn(exec, this.dialect, values)),
    )
  }

  /**
   * decide: waiting tasks whose parents ended become due, or are
   * cancelled (and their own children decided in turn). Keys of released
   * tasks are admitted, and this process's workers woken.
   */
  async decide(ids: number[]): Promise<Decided> {
    if (ids.length === 0) return { released: [], cancelled: [] }
    const decided = await this.retrying(() =>
      this.connections.transaction((exec) =>
        decideOn(exec, this.dialect, this.date(new Date()), ids),
      ),
    )
    await this.released(decided)
    return decided
  }

  /** After a decision (committed): admit blocked keys, wake workers of due queues. */
  async released(decided: Decided): Promise<void> {
    const keys = decided.released.filter((r) => r.ready === 2).map((r) => r.concurrencyKey)
    if (keys.length > 0) await this.admit(keys as string[])
    const queues = [...new Set(decided.released.filter((r) => r.ready !== 0).map((r) => r.queue))]
    if (queues.length > 0) this.onReleased(queues)
  }

  /** retry: as OperatorTransitions.retry; a retried task with parents waits on them again. */
  override async retry(ids: number[]): Promise<number> {
    const retried = await super.retry(ids)
    if (retried > 0) await this.decide(ids)
    return retried
  }

  /** The waiting children of `parents`, decided (after the parents ended). */
  async decideChildren(parents: number[]): Promise<Decided> {
    if (parents.length === 0) return { released: [], cancelled: [] }
    const { rows } = await this.retrying(() =>
      this.connections.run(childrenSql(this.dialect), { ids: parents }),
    )
    return this.decide(rows.map((row) => Number(row.task_id)))
  }

  /** The upkeep's sweep of waiting tasks whose parents all ended; resolves to how many were decided. */
  async sweepWaiting(): Promise<number> {
    const ids = await this.ids(SWEEP_WAITING, { batch: 500 })
    const decided = await this.decide(ids)
    return decided.released.length + decided.cancelled.length
  }

  /** The parents' status and stored result (tagged JSON), in `after` order. */
  async parentResults(
    id: number,
  ): Promise<Array<{ id: number; status: string | null; resultJson: string | null }>> {
    const { rows } = await this.retrying(() => this.connections.run(PARENT_RESULTS, { id }))
    return rows.map((row) => ({
      id: Number(row.parent_id),
      status: strOrNull(row.status),
      resultJson: strOrNull(row.result),
    }))
  }

  /** progress: the running method's report; resolves to whether the row was still this run's. */
  async progress(
    id: number,
    workerId: string,
    progress: number,
    note: string | null,
  ): Promise<boolean> {
    return (await this.write(progressSql(this.dialect), { id, workerId, progress, note })) === 1
  }

  /** Asks the workers running `ids` to stop them; resolves to how many were running. */
  requestCancel(ids: number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.write(requestCancelSql(this.dialect), { ids })
  }

  /** Marks a task as waited on (PostgreSQL: its end is announced with NOTIFY). */
  async watch(id: number): Promise<void> {
    await this.write(watchSql, { id })
  }

  /** PostgreSQL: tells waiters in every process that these tasks ended. */
  async announceFinished(ids: number[]): Promise<void> {
    if (this.dialect !== 'postgres' || ids.length === 0) return
    await this.retrying(() =>
      this.connections.run(`SELECT pg_notify('${FINISHED_CHANNEL}', :payload)`, {
        payload: ids.join(','),
      }),
    )
  }

  /**
   * enqueue many: inside `transaction` (the app's, or one opened for the
   * call), one multi-row INSERT per chunk of the tasks without a unique key,
   * then the unique ones one by one (each may resolve to its key's holder).
   * Resolves to one Inserted per task, in input order. Nothing is retried
   * here: an error aborts the transaction, which only its owner can redo.
   */
  async insertMany(tasks: NewTask[], transaction: Transaction, now: Date): Promise<Inserted[]> {
    const exec = this.connections.within(transaction)
    const run = this.connections.positionalWithin(transaction)
    this.flavour ??= flavourOf(exec, this.dialect)
    const flavour = await this.flavour.catch((err: unknown) => {
      this.flavour = undefined
      throw err
    })
    const at = this.date(now)
    const out = new Array<Inserted>(tasks.length)
    const plain = tasks.flatMap((task, index) =>
      task.uniqueKey === null ? [{ ...task, scheduledAt: this.date(task.scheduledAt), index }] : [],
    )
    for (const chunk of chunksOf(plain)) {
      const ids = await insertChunk(exec, run, this.dialect, flavour, chunk, at)
      chunk.forEach((task, i) => (out[task.index] = { id: ids[i] as number, existing: null }))
    }
    for (const [index, task] of tasks.entries()) {
      if (task.uniqueKey === null) continue
      const values = { ...task, scheduledAt: this.date(task.scheduledAt), now: at }
      out[index] = await insertOn(exec, this.dialect, values)
    }
    return out
  }

  /** complete the outcomes of `batch`, then claim per `request`: one round trip where possible. */
  async step(batch: Finished[], request: ClaimRequest | null, workerId: string): Promise<Step> {
    const stepped = await this.retrying(() =>
      step(this.connections, this.dialect, batch, request, workerId, this.date),
    )
    const { rest, due, permitsFailed } = stepped
    if (permitsFailed !== undefined) {
      this.logger.error(
        logLine(
          'ERROR',
          `handing on the key and queue permits of ${batch.length} stored outcome(s) failed (the upkeep's recount and sweep correct it within a minute): ${(permitsFailed as Error).message}`,
        ),
      )
    }
    // Tasks handed a permit but not claimed are due now: wake this process's workers.
    if (due && due.length > 0) this.onReleased(due)
    if (rest && rest.size > 0) {
      // The outcomes are stored: a failure here must not send them to be
      // written again. The count stays one too high per permit until the
      // upkeep's recount (about once a minute).
      await this.retrying(() => giveBack(this.connections, this.dialect, this.date, rest)).catch(
        (err: unknown) =>
          this.logger.error(
            logLine(
              'ERROR',
              `giving permits of ${[...rest.keys()].join(', ')} back to their keys failed (the upkeep's recount corrects it within a minute): ${(err as Error).message}`,
            ),
          ),
      )
    }
    return stepped
  }

  async claim(request: ClaimRequest): Promise<TaskRow[]> {
    return (await this.step([], request, request.workerId)).claimed
  }

  /**
   * Renews the leases of `ids`, the tasks this worker knows it holds;
   * resolves to those of them someone asked to cancel.
   */
  async heartbeat(workerId: string, ids: number[], leaseMs: number): Promise<number[]> {
    if (ids.length === 0) return []
    const values = this.clocked({
      workerId,
      ids,
      leaseMs,
      leaseAt: this.date(new Date(Date.now() + leaseMs)),
    })
    const { rows } = await this.retrying(() =>
      this.connections.run(heartbeatSql(this.dialect), values),
    )
    const asked = cancelRequestedSql(this.dialect)
    const cancelled = asked
      ? (await this.retrying(() => this.connections.run(asked, values))).rows
      : rows.filter((row) => Number(row.cancel_requested) === 1)
    return cancelled.map((row) => Number(row.id))
  }

  /** release: this worker's unfinished tasks back to pending; their queue permits go back. */
  release(workerId: string, ids: number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.retrying(() =>
      this.connections.transaction(async (exec) => {
        const values = this.clocked({ workerId, ids })
        const held = await exec(heldByWorkerSql(this.dialect), values)
        const released = (await exec(releaseSql(this.dialect), values)).affected
        const queues = new Map<string, number>()
        for (const row of held.rows) {
          if ((Number(row.permits) & 2) === 2)
            queues.set(String(row.queue), (queues.get(String(row.queue)) ?? 0) + 1)
        }
        if (queues.size > 0) await releaseQueues(exec, this.dialect, queues)
        return released
      }),
    )
  }

  /** promote: scheduled tasks whose time came; resolves to how many. */
  promote(): Promise<number> {
    return this.eachOrAll('promote', promote(this.dialect), {})
  }

  /** rescue: tasks whose lease expired run again, or fail once lost too often. */
  async rescue(
    maxInterruptions: number,
    lost: { error: string; result: string },
  ): Promise<{ requeued: number; failed: number }> {
    const failed = await this.eachOrAll('rescue', failLost(this.dialect), {
      maxInterruptions,
      ...lost,
    })
    const requeued = await this.eachOrAll('rescue', requeueLost(this.dialect), {})
    return { requeued, failed }
  }
}
