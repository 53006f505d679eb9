/**
 * Transitions an operator or the app asks for (manual.ts has their SQL),
 * and the admission of blocked tasks to their concurrency key (keys.ts):
 * cancel, retry, remove, retry-all, prune, admit, sweep, recount.
 */
import { isOutage } from '../transient.js'
import { LifecycleBase } from './base.js'
import { ensureKeysSql, recountSql, settleKeysOn, SWEEP_KEYS, sweepSql } from './keys.js'
import { recountQueuesSql, setLimitsOn, type StoredLimits } from './queue-limits.js'
import {
  cancelSql,
  deleteSql,
  expiredSql,
  heldSql,
  idsAfterSql,
  keysOfSql,
  removeSql,
  retrySql,
} from './manual.js'
import type { Exec, Row } from './connection.js'
import { inList } from './dialect.js'
import { childrenSql, decideOn } from './deps.js'
import { cancelWithReasonSql, pendingOfRecordsSql } from './destroyed.js'
import type { Transaction } from 'sequelize'

/** The key permits the rows free when they leave their state. */
function permitsOf(rows: Row[], leaving: (row: Row) => boolean): Map<string, number> {
  const freed = new Map<string, number>()
  for (const row of rows) {
    const key = row.concurrency_key
    if (typeof key === 'string' && (Number(row.permits) & 1) === 1 && leaving(row))
      freed.set(key, (freed.get(key) ?? 0) + 1)
  }
  return freed
}

export class OperatorTransitions extends LifecycleBase {
  /**
   * admit: blocked tasks of `keys` become due while their key has room.
   * The key rows are made first (no lock on existing ones), then settled.
   */
  async admit(keys: string[]): Promise<number> {
    const unique = [...new Set(keys)]
    if (unique.length === 0) return 0
    const values = Object.fromEntries(unique.map((key, i) => [`k${i}`, key]))
    await this.write(ensureKeysSql(this.dialect, unique.length), values)
    return this.retrying(() =>
      this.connections.transaction((exec) => settleKeysOn(exec, this.dialect, this.date, unique)),
    )
  }

  /** Where the next sweep goes on (keys.ts, sweepSql); null: from the first key. */
  private sweptTo: string | null = null

  /**
   * The upkeep's sweep: admits blocked tasks of keys with room (after
   * promotion, a lost wake-up), SWEEP_KEYS keys per call, all keys in turn.
   */
  async sweep(): Promise<number> {
    const after = this.sweptTo
    const { rows } = await this.retrying(() =>
      this.connections.run(sweepSql(this.dialect, after !== null), after === null ? {} : { after }),
    )
    this.sweptTo = rows.length >= SWEEP_KEYS ? String(rows[rows.length - 1]?.concurrency_key) : null
    const room = rows.filter((row) => Number(row.room) === 1)
    return this.admit(room.map((row) => String(row.concurrency_key)))
  }

  /**
   * Counts the holders of the keys again from the tasks themselves: a task
   * deleted by hand, or failed by rescue, gave its permit back only here.
   */
  async recount(): Promise<number> {
    const keys = await this.retrying(() =>
      this.connections.transaction(async (exec) => {
        const sql = recountSql(this.dialect)
        const { rows } = await exec(sql.lock, {})
        const keys = rows.map((row) => String(row.concurrency_key))
        if (keys.length === 0) return 0
        return (await exec(sql.count, { keys, now: this.date(new Date()) })).affected
      }),
    )
    const queues = await this.retrying(() =>
      this.connections.transaction(async (exec) => {
        const sql = recountQueuesSql(this.dialect)
        const { rows } = await exec(sql.lock, {})
        if (rows.length === 0) return 0
        return (await exec(sql.count, { now: this.date(new Date()) })).affected
      }),
    )
    return keys + queues
  }

  /** Sets a queue's limits (all of them; null clears one). */
  setQueueLimits(queue: string, limits: StoredLimits): Promise<void> {
    return this.retrying(() =>
      this.connections.transaction((exec) =>
        setLimitsOn(exec, this.dialect, queue, limits, this.date(new Date())),
      ),
    )
  }

  /**
   * cancel: pending → cancelled; an admitted task's permit goes to the next
   * of its key, and tasks waiting on it are cancelled in turn.
   */
  async cancel(ids: number[]): Promise<number> {
    return this.leaving(ids, cancelSql(this.dialect), (row) => row.status === 'pending')
  }

  /** remove: gone, unless running; as cancel for its key and the tasks waiting on it. */
  remove(ids: number[]): Promise<number> {
    return this.leaving(ids, removeSql(this.dialect), (row) => row.status !== 'running', true)
  }

  /**
   * cancel, for destroyed records: the pending tasks of `objectIds` (records
   * of the model `objectType`) → cancelled with `reason` as their error, in
   * `transaction` when given (the destroy's), so they stay pending if it
   * rolls back. Freed key permits go to the next blocked tasks in the same
   * transaction. Resolves to how many were cancelled.
   */
  async cancelForRecords(
    objectType: string,
    objectIds: string[],
    reason: (objectId: string) => string,
    transaction: Transaction | null,
  ): Promise<number> {
    if (objectIds.length === 0) return 0
    const run = async (exec: Exec): Promise<number> => {
      let done = 0
      for (let i = 0; i < objectIds.length; i += 500) {
        const chunk = objectIds.slice(i, i + 500)
        done += await this.cancelPendingOn(exec, objectType, chunk, reason)
      }
      return done
    }
    if (transaction) return run(this.connections.within(transaction))
    return this.retrying(() => this.connections.transaction(run))
  }

  private async cancelPendingOn(
    exec: Exec,
    objectType: string,
    objectIds: string[],
    reason: (objectId: string) => string,
  ): Promise<number> {
    const held = await exec(pendingOfRecordsSql(this.dialect), { objectType, objectIds })
    if (held.rows.length === 0) return 0
    const byRecord = new Map<string, number[]>()
    for (const row of held.rows) {
      const objectId = String(row.object_id)
      byRecord.set(objectId, [...(byRecord.get(objectId) ?? []), Number(row.id)])
    }
    let done = 0
    for (const [objectId, ids] of byRecord) {
      const values = this.clocked({ ids, reason: reason(objectId) })
      done += (await exec(cancelWithReasonSql(this.dialect), values)).affected
    }
    const freed = permitsOf(held.rows, () => true)
    if (freed.size > 0) await settleKeysOn(exec, this.dialect, this.date, [...freed.keys()], freed)
    await this.cancelChildrenOn(
      exec,
      held.rows.map((row) => Number(row.id)),
    )
    return done
  }

  /**
   * Tasks leave (cancel, remove) in one transaction with what follows: their
   * key permits go to the next blocked tasks, and the tasks waiting on them
   * (`after`) are cancelled, naming them.
   */
  private leaving(
    ids: number[],
    sql: string,
    leaves: (row: Row) => boolean,
    removed = false,
  ): Promise<number> {
    if (ids.length === 0) return Promise.resolve(0)
    return this.retrying(() =>
      this.connections.transaction(async (exec) => {
        const held = await exec(heldSql(this.dialect), { ids })
        const done = (await exec(sql, this.clocked({ ids }))).affected
        const freed = permitsOf(held.rows, leaves)
        if (freed.size > 0)
          await settleKeysOn(exec, this.dialect, this.date, [...freed.keys()], freed)
        if (done > 0) {
          const left = held.rows.filter(leaves).map((row) => Number(row.id))
          // A removed task's own links go with it; links to it stay, so its
          // children see a parent that is gone.
          if (removed)
            await exec(
              `DELETE FROM async_dependencies WHERE ${inList(this.dialect, 'task_id', 'ids')}`,
              {
                ids: left,
              },
            )
          await this.cancelChildrenOn(exec, left)
        }
        return done
      }),
    )
  }

  /** The waiting children of tasks that just left, decided (cancelled) on the same connection. */
  private async cancelChildrenOn(exec: Exec, parents: number[]): Promise<void> {
    if (parents.length === 0) return
    const { rows } = await exec(childrenSql(this.dialect), { ids: parents })
    if (rows.length === 0) return
    const children = rows.map((row) => Number(row.task_id))
    await decideOn(exec, this.dialect, this.date(new Date()), children)
  }

  /** retry: failed | cancelled → pending; a task with a concurrency key is admitted when its key has room. */
  async retry(ids: number[]): Promise<number> {
    if (ids.length === 0) return 0
    const retried = await this.write(retrySql(this.dialect), { ids })
    const { rows } = await this.retrying(() =>
      this.connections.run(keysOfSql(this.dialect), { ids }),
    )
    if (rows.length > 0) await this.admit(rows.map((row) => String(row.concurrency_key)))
    return retried
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
      await this.write(
        `DELETE FROM async_dependencies WHERE ${inList(this.dialect, 'task_id', 'ids')} OR ${inList(this.dialect, 'parent_id', 'ids')}`,
        { ids },
      )
      if (ids.length < batchSize) break
    }
    return deleted
  }
}
