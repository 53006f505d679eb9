/**
 * Bulk enqueue: `tasks.enqueueMany(items, { transaction })` and
 * `Model.asyncEach(records, action, options)`. All or nothing: every item
 * is checked (the same checks as `async()`) before anything is written, and
 * the first refusal names its item's index; then the rows go in one
 * transaction (the caller's, or one opened here), one multi-row INSERT per
 * chunk (lifecycle/enqueue-many.ts). After the commit, concurrency keys are
 * admitted and a local worker is woken once, not once per task.
 */
import { Model, Transaction } from 'sequelize'
import type { Context } from './context.js'
import {
  afterDecided,
  afterVisible,
  insertTask,
  newRow,
  prepare,
  transactionOf,
  type Prepared,
} from './enqueue.js'
import { AsyncTaskError, EnqueueError } from './errors.js'
import { toInstance, type Decided } from './lifecycle/index.js'
import { describe, type EnqueueOptions } from './options.js'
import type { AsyncTask } from './task-model.js'

/** One task of `enqueueMany`: its target, method, and the options of `async()` (but `transaction`). */
export interface EnqueueItem extends Omit<EnqueueOptions, 'transaction'> {
  /** A saved record, a model class, or a registered class or object. */
  target: object
  /** The method to run on it. */
  action: string
}

/** Options of `enqueueMany` and `asyncEach` as a whole. */
export interface EnqueueManyOptions {
  /** Enqueue inside this transaction: nothing is stored unless it commits. */
  transaction?: Transaction | null
}

/** Prefixes a refusal with the item it is about, keeping its class and stack. */
function atItem(err: unknown, index: number): unknown {
  if (err instanceof AsyncTaskError) {
    err.message = `enqueueMany item ${index}: ${err.message}`
    Object.defineProperty(err, 'index', { value: index, enumerable: true })
  }
  return err
}

function check(ctx: Context, items: unknown, options: unknown): Prepared[] {
  if (!Array.isArray(items))
    throw new EnqueueError(`enqueueMany() takes an array of items; got ${describe(items)}.`)
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new EnqueueError(
      `The options of enqueueMany() must be an object; got ${describe(options)}.`,
    )
  for (const key of Object.keys(options)) {
    if (key !== 'transaction')
      throw new EnqueueError(
        `Unknown option "${key}" of enqueueMany(); per-task options go in each item.`,
      )
  }
  return items.map((item: unknown, index) => {
    try {
      if (item === null || typeof item !== 'object' || Array.isArray(item))
        throw new EnqueueError(
          `must be an object like { target, action, args }; got ${describe(item)}.`,
        )
      const { target, action, ...rest } = item as EnqueueItem
      if ('transaction' in rest)
        throw new EnqueueError(
          'an item cannot have its own transaction; pass { transaction } as the second argument of enqueueMany().',
        )
      if (target === null || (typeof target !== 'object' && typeof target !== 'function'))
        throw new EnqueueError(
          `target must be a record, model or registered class; got ${describe(target)}.`,
        )
      return prepare(ctx, target, action, rest)
    } catch (err) {
      throw atItem(err, index)
    }
  })
}

/** Writes the checked tasks in `transaction`; resolves to their instances and which were created. */
async function write(
  ctx: Context,
  prepared: Prepared[],
  transaction: Transaction,
): Promise<Array<{ task: AsyncTask; created: boolean; decided?: Decided }>> {
  // Tasks with `after` lock and link their parents: one by one, after the
  // others, in the same transaction.
  const plain = prepared.filter((p) => p.after.length === 0)
  const values = plain.map((p) => p.values)
  const now = new Date()
  const insert = () => ctx.lifecycle.insertMany(values, transaction, now)
  const inserted = await (ctx.tracing ? ctx.tracing.enqueueBatch(values, insert) : insert())
  const written = new Map<Prepared, { task: AsyncTask; created: boolean; decided?: Decided }>()
  inserted.forEach((result, i) => {
    const p = plain[i]!
    if (result.existing) {
      written.set(p, { task: toInstance(ctx.AsyncTask, result.existing), created: false })
      return
    }
    if (!Number.isSafeInteger(result.id) || result.id <= 0)
      throw new EnqueueError('The database did not return the ids of the stored tasks.')
    written.set(p, {
      task: toInstance(ctx.AsyncTask, newRow(p.values, result.id, now)),
      created: true,
    })
  })
  for (const p of prepared) {
    if (p.after.length > 0) written.set(p, await insertTask(ctx, p.values, transaction, p.after))
  }
  return prepared.map((p) => written.get(p)!)
}

/** Stores many tasks at once, all or nothing; resolves to them in input order. */
export async function enqueueMany(
  ctx: Context,
  items: EnqueueItem[],
  options: EnqueueManyOptions = {},
): Promise<AsyncTask[]> {
  const prepared = check(ctx, items, options)
  if (prepared.length === 0) return []
  const given = transactionOf(ctx, options.transaction)
  const run = async (transaction: Transaction): Promise<AsyncTask[]> => {
    const stored = await write(ctx, prepared, transaction)
    for (const s of stored) if (s.decided) await afterDecided(ctx, transaction, s.decided)
    const visible = prepared.filter((p, i) => p.due && p.after.length === 0 && stored[i]!.created)
    if (visible.length > 0)
      await afterVisible(
        ctx,
        transaction,
        visible.map((p) => p.values.queue),
        visible.map((p) => p.values.concurrencyKey),
      )
    return stored.map((s) => s.task)
  }
  if (given) return run(given)
  // One transaction of ours (Sequelize's, so it rolls back on every
  // dialect; on SQLite it has its own connection): a failure writes nothing,
  // and after a deadlock or lock timeout (which undid it all) it runs again.
  const own = ctx.dialect === 'sqlite' ? { type: Transaction.TYPES.IMMEDIATE } : {}
  return ctx.lifecycle.retrying(() => ctx.sequelize.transaction(own, run))
}

/** `Model.asyncEach(records, action, options)`: the same method on each record, one enqueueMany. */
export function asyncEach(
  ctx: Context,
  model: typeof Model,
  records: unknown,
  action: string,
  options: EnqueueOptions = {},
): Promise<AsyncTask[]> {
  if (!Array.isArray(records))
    throw new EnqueueError(
      `${model.name}.asyncEach() takes an array of records; got ${describe(records)}.`,
    )
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new EnqueueError(
      `The options of asyncEach() must be an object; got ${describe(options)}.`,
    )
  const { transaction, ...rest } = options
  const items = records.map((record: unknown, index) => {
    if (!(record instanceof model))
      throw atItem(new EnqueueError(`${describe(record)} is not a ${model.name} record.`), index)
    return { ...rest, target: record, action }
  })
  return enqueueMany(ctx, items, transaction === undefined ? {} : { transaction })
}
