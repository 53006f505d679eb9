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
 * Statements deadlocked or timed out on a lock (MySQL/MariaDB under many
 * workers, Galera certification, PostgreSQL 40P01/40001) did nothing, so
 * they are run again here, a few times, after a short random pause.
 */
import type { Sequelize, Transaction } from 'sequelize'
import type { Logger } from '../logger.js'
import { logLine } from '../logger.js'
import { isOutage, isTransient } from '../transient.js'
import type { ClaimRequest } from './claim.js'
import type { Finished } from './complete.js'
import { Connections } from './connection.js'
import { dateParam, type Dialect } from './dialect.js'
import { insertSql, type NewTask } from './enqueue.js'
import { heartbeatSql, releaseSql } from './lease.js'
import { cancelSql, deleteSql, expiredSql, idsAfterSql, removeSql, retrySql } from './manual.js'
import type { TaskRow } from './row.js'
import { step, type Step } from './step.js'
import { batchSql, failLost, oneSql, promote, requeueLost, type SetWhere } from './upkeep.js'
import type { Values } from './sql.js'

export type { ClaimRequest } from './claim.js'
export type { Finished } from './complete.js'
export type { NewTask } from './enqueue.js'
export type { Step } from './step.js'
export { fromDb, labelOf, toInstance, type TaskRow } from './row.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const TRIES = 5
const UPKEEP_BATCH = 1000

export class Lifecycle {
  readonly connections: Connections
  /** A Date as a parameter of this dialect. */
  readonly date: (d: Date) => unknown

  constructor(
    sequelize: Sequelize,
    readonly dialect: Dialect,
    private readonly logger: Logger,
  ) {
    this.connections = new Connections(sequelize, dialect)
    this.date = dateParam(sequelize, dialect)
  }

  /** enqueue: resolves to the new task's id; `now` is its created_at and updated_at. */
  async insert(task: NewTask, transaction: Transaction | null, now: Date): Promise<number> {
    const values = { ...task, scheduledAt: this.date(task.scheduledAt), now: this.date(now) }
    const sql = insertSql(this.dialect)
    // Inside the app's transaction a deadlock aborts that transaction: only
    // the app can run it again.
    const run = (): ReturnType<Connections['run']> => this.connections.run(sql, values, transaction)
    const result = await (transaction ? run() : this.retrying(run))
    return Number(result.rows[0]?.id ?? result.insertId)
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

  release(workerId: string, ids: number[]): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.write(releaseSql(this.dialect), { workerId, ids })
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

  cancel(ids: number[]): Promise<number> {
    return this.write(cancelSql(this.dialect), { ids })
  }

  retry(ids: number[]): Promise<number> {
    return this.write(retrySql(this.dialect), { ids })
  }

  remove(ids: number[]): Promise<number> {
    return this.write(removeSql(this.dialect), { ids })
  }

  /**
   * retry for every task in a status, in batches by id. It ends whatever the
   * rows hold: a batch the database refuses is redone row by row, and a row
   * that cannot be retried is passed (and named in `skipped`), never read
   * again.
   */
  async retryAll(
    status: 'failed' | 'cancelled',
    onBatch?: (done: number) => void,
  ): Promise<{ retried: number; skipped: Array<{ id: number; error: string }> }> {
    let after = 0
    let retried = 0
    const skipped: Array<{ id: number; error: string }> = []
    for (;;) {
      const ids = await this.ids(idsAfterSql, { status, after, batch: 500 })
      if (ids.length === 0) return { retried, skipped }
      try {
        retried += await this.retry(ids)
      } catch (err) {
        if (isOutage(err)) throw err
        for (const id of ids) {
          try {
            retried += await this.retry([id])
          } catch (rowErr) {
            if (isOutage(rowErr)) throw rowErr
            skipped.push({ id, error: (rowErr as Error).message })
          }
        }
      }
      after = ids[ids.length - 1] as number
      onBatch?.(retried)
    }
  }

  /** prune: up to `batches` batches of finished tasks of `status` older than `cutoff`. */
  async prune(status: string, cutoff: Date, batchSize: number, batches: number): Promise<number> {
    let deleted = 0
    for (let i = 0; i < batches; i++) {
      const ids = await this.ids(expiredSql, {
        status,
        cutoff: this.date(cutoff),
        batch: batchSize,
      })
      if (ids.length === 0) break
      deleted += await this.write(deleteSql(this.dialect), { ids, status })
      if (ids.length < batchSize) break
    }
    return deleted
  }

  private async ids(sql: string, values: Values): Promise<number[]> {
    const { rows } = await this.retrying(() => this.connections.run(sql, this.clocked(values)))
    return rows.map((row) => Number(row.id))
  }

  private async write(sql: string, values: Values): Promise<number> {
    const { affected } = await this.retrying(() => this.connections.run(sql, this.clocked(values)))
    return affected
  }

  /** SQLite's clock is this host's: `:now` travels with every statement that reads it. */
  private clocked(values: Values): Values {
    return 'now' in values ? values : { ...values, now: this.date(new Date()) }
  }

  /**
   * An upkeep transition as one batch; if the database refuses the batch
   * (one row it cannot write), the candidates one by one, logging and
   * skipping the rows that fail, so one bad row never stops the step.
   */
  private async eachOrAll(step: string, s: SetWhere, values: Values): Promise<number> {
    const all = { ...values, batch: UPKEEP_BATCH, now: this.date(new Date()) }
    try {
      return await this.write(batchSql(this.dialect, s), all)
    } catch (err) {
      if (isTransient(err)) throw err
      const ids = await this.ids(s.pick, all)
      let done = 0
      for (const id of ids) {
        try {
          done += await this.write(oneSql(s), { ...all, id })
        } catch (rowErr) {
          this.logger.error(
            logLine('ERROR', `${step}: task ${id} skipped: ${(rowErr as Error).message}`),
          )
        }
      }
      return done
    }
  }

  /** Runs `fn` again after a deadlock or lock timeout, a few times. */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn()
      } catch (err) {
        if (attempt >= TRIES || !isTransient(err)) throw err
        await sleep(attempt * (2 + Math.random() * 10))
      }
    }
  }
}
