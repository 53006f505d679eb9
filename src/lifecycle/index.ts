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
import type { ClaimRequest } from './claim.js'
import type { Finished } from './complete.js'
import { insertOn, type Inserted, type NewTask } from './enqueue.js'
import { chunksOf, flavourOf, insertChunk, type Flavour } from './enqueue-many.js'
import { heartbeatSql, heldByWorkerSql, releaseSql } from './lease.js'
import { releaseQueues } from './queue-limits.js'
import { OperatorTransitions } from './operator.js'
import type { TaskRow } from './row.js'
import { step, type Step } from './step.js'
import { failLost, promote, requeueLost } from './upkeep.js'

export type { ClaimRequest } from './claim.js'
export type { Finished } from './complete.js'
export type { Inserted, NewTask } from './enqueue.js'
export type { Step } from './step.js'
export { fromDb, labelOf, toInstance, type TaskRow } from './row.js'

export class Lifecycle extends OperatorTransitions {
  /** What the server can return from a multi-row INSERT (asked once). */
  private flavour: Promise<Flavour> | undefined

  /**
   * enqueue: resolves to the new task's id, or to the task holding its
   * unique key; `now` is its created_at and updated_at.
   */
  insert(task: NewTask, transaction: Transaction | null, now: Date): Promise<Inserted> {
    const values = { ...task, scheduledAt: this.date(task.scheduledAt), now: this.date(now) }
    // Inside the app's transaction a deadlock aborts that transaction: only
    // the app can run it again.
    if (transaction) return insertOn(this.connections.within(transaction), this.dialect, values)
    return this.retrying(() =>
      this.connections.with((exec) => insertOn(exec, this.dialect, values)),
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
  step(batch: Finished[], request: ClaimRequest | null, workerId: string): Promise<Step> {
    return this.retrying(() =>
      step(this.connections, this.dialect, batch, request, workerId, this.date),
    )
  }

  async claim(request: ClaimRequest): Promise<TaskRow[]> {
    return (await this.step([], request, request.workerId)).claimed
  }

  /** Renews the leases of `ids`, the tasks this worker knows it holds. */
  heartbeat(workerId: string, ids: number[], leaseMs: number): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.write(heartbeatSql(this.dialect), {
      workerId,
      ids,
      leaseMs,
      leaseAt: this.date(new Date(Date.now() + leaseMs)),
    })
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
