/**
 * enqueue: turn `target.async(action, options)` into one stored task row.
 * Everything that could make the task fail for a reason known now (unknown
 * method, unsaved record, arguments that cannot round-trip, bad options) is
 * refused here, before anything is written.
 */
import { Model, type Transaction } from 'sequelize'
import type { Context } from './context.js'
import { toInstance, type Decided, type NewTask, type TaskRow } from './lifecycle/index.js'
import { flowKeys } from './flow-options.js'
import { logLine } from './logger.js'
import { EnqueueError } from './errors.js'
import { checkOptions, describe, type EnqueueOptions } from './options.js'
import { lookUpMethod } from './registry.js'
import { RecordRef } from './record-ref.js'
import { serialize } from './serializer.js'
import type { AsyncTask } from './task-model.js'

interface Target {
  objectType: string
  objectId: string | null
  /** What holds the method: the record, the model class or the plain target. */
  holder: object
}

/** The stored reference of a saved record of this installation. */
export function recordRef(ctx: Context, record: Model, what: string): RecordRef {
  const model = record.constructor as typeof Model
  if (record.sequelize !== ctx.sequelize || ctx.registry.model(model.name) !== model) {
    throw new EnqueueError(
      `${what} is a ${model.name} record of another Sequelize instance; tasks can only refer to models of the instance passed to installAsync().`,
    )
  }
  const pkAttrs = Object.keys((model as unknown as { primaryKeys: object }).primaryKeys)
  if (pkAttrs.length !== 1) {
    throw new EnqueueError(
      `${what}: ${model.name} has a composite primary key; pass its key values as arguments instead.`,
    )
  }
  const id: unknown = record.get(pkAttrs[0] as string)
  if (record.isNewRecord || id === null || id === undefined) {
    throw new EnqueueError(
      `${what} is an unsaved ${model.name}; save() it first (or create() it) so the worker can load it.`,
    )
  }
  if (typeof id !== 'string' && typeof id !== 'number' && typeof id !== 'bigint') {
    throw new EnqueueError(
      `${what}: ${model.name} has a primary key of an unsupported type (${describe(id)}).`,
    )
  }
  return new RecordRef(model.name, typeof id === 'bigint' ? id.toString() : id)
}

function resolveTarget(ctx: Context, target: object): Target {
  if (target instanceof Model) {
    const ref = recordRef(ctx, target, 'The record')
    return { objectType: ref.model, objectId: String(ref.id), holder: target }
  }
  if (typeof target === 'function' && target.prototype instanceof Model) {
    const model = target as typeof Model
    if (ctx.registry.model(model.name) !== model) {
      throw new EnqueueError(
        `${model.name} is not a model of the Sequelize instance passed to installAsync().`,
      )
    }
    return { objectType: model.name, objectId: null, holder: model }
  }
  const name = ctx.registry.nameOf(target)
  if (!name) {
    const label =
      typeof target === 'function'
        ? (target as { name?: string }).name || 'this class'
        : 'this object'
    throw new EnqueueError(
      `${label} is not registered, so no worker could run it. Register it: installAsync(sequelize, { classes: { ${label} } }) or tasks.register('${label}', ${label}).`,
    )
  }
  return { objectType: name, objectId: null, holder: target }
}

/** The row an enqueue wrote, from what was written (no read back). */
export function newRow(values: NewTask, id: number, now: Date): TaskRow {
  return {
    ...values,
    id,
    status: 'pending',
    success: null,
    resultJson: null,
    error: null,
    attemptErrorsJson: null,
    attempts: 0,
    interruptions: 0,
    lockedBy: null,
    lockedUntil: null,
    startedAt: null,
    finishedAt: null,
    createdAt: now,
    updatedAt: now,
    uniqueHold: values.uniqueKey,
    permits: 0,
    progress: null,
    progressNote: null,
    cancelRequested: false,
    hasDependents: false,
  }
}

/**
 * The stored row as an AsyncTask instance, built from what was written (no
 * read back): the INSERT itself is the lifecycle's (raw, a statement per
 * dialect), so a host's global model hooks never run on task rows. A unique
 * task whose key is held resolves to the task that holds it.
 */
export async function insertTask(
  ctx: Context,
  values: NewTask,
  transaction: Transaction | null,
  after: number[] = [],
): Promise<{ task: AsyncTask; created: boolean; decided?: Decided }> {
  const now = new Date()
  const inserted = await ctx.lifecycle.insert(values, transaction, now, after)
  if (inserted.existing)
    return { task: toInstance(ctx.AsyncTask, inserted.existing), created: false }
  const { id } = inserted
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new EnqueueError('The database did not return the id of the stored task.')
  }
  const row = newRow(values, id, now)
  const { decided } = inserted
  // Decided at once (its parents had ended): the row as the decision left it.
  if (decided?.cancelled.includes(id)) {
    const task = await ctx.AsyncTask.findByPk(id, { transaction })
    if (task) return { task, created: true, decided }
  }
  const released = decided?.released.find((r) => r.id === id)
  if (released) row.ready = released.ready
  return { task: toInstance(ctx.AsyncTask, row), created: true, decided }
}

/**
 * The transaction an enqueue joins: the one passed, or (when the option is
 * absent and the host uses Sequelize's CLS) the one the host's code runs in,
 * as Sequelize's own queries would.
 */
export function transactionOf(
  ctx: Context,
  given: Transaction | null | undefined,
): Transaction | null {
  if (given !== undefined) return given
  const cls = (ctx.sequelize.constructor as { _cls?: { get(key: string): unknown } })._cls
  return (cls?.get('transaction') as Transaction | undefined) ?? null
}

/** A task checked and ready to write: every refusal has been made. */
export interface Prepared {
  values: NewTask
  /** Due now (not scheduled later): admitted and announced once visible. */
  due: boolean
  transaction: Transaction | null
  /** The parents' ids (`after`): the task waits on them. */
  after: number[]
}

/**
 * Every check of one enqueue, and the row it would write; throws the
 * EnqueueError (or SerializationError) of the first refusal. Writes nothing.
 */
export function prepare(
  ctx: Context,
  target: object,
  action: string,
  options: EnqueueOptions = {},
  defaultPriority = 10,
): Prepared {
  const resolved = resolveTarget(ctx, target)
  const found = lookUpMethod(resolved.holder, action)
  if ('refused' in found) {
    throw new EnqueueError(
      `${resolved.objectType}#${describe(action)} cannot run as a task: ${found.refused}. Name a method the app wrote on ${resolved.objectType}.`,
    )
  }
  const opts = checkOptions(options, {
    priority: defaultPriority,
    maxAttempts: ctx.settings.maxAttempts,
  })
  const args = options.args ?? []
  if (!Array.isArray(args))
    throw new EnqueueError(`Option args must be an array of arguments; got ${describe(args)}.`)
  const argsJson = serialize(args, 'args', (value) =>
    value instanceof Model ? recordRef(ctx, value, 'An argument') : undefined,
  )
  if (Buffer.byteLength(argsJson) > ctx.settings.maxPayloadBytes) {
    throw new EnqueueError(
      `The arguments take ${Buffer.byteLength(argsJson)} bytes, more than maxPayloadBytes (${ctx.settings.maxPayloadBytes}). Store large data elsewhere and pass its id.`,
    )
  }
  const task = {
    objectType: resolved.objectType,
    objectId: resolved.objectId,
    action,
    argsJson,
  }
  const keys = flowKeys(options, task)
  // Due now (the common case): straight into the claimable set, or blocked
  // behind its concurrency key until admitted. Future: left for promotion,
  // which compares against the database clock.
  const due = opts.scheduledAt === undefined || opts.scheduledAt.getTime() <= Date.now()
  const values: NewTask = {
    ...task,
    ...keys,
    queue: opts.queue,
    priority: opts.priority,
    scheduledAt: opts.scheduledAt ?? new Date(),
    ready: opts.after.length > 0 ? 3 : !due ? 0 : keys.concurrencyKey === null ? 1 : 2,
    maxAttempts: opts.maxAttempts,
    timeoutMs: opts.timeoutMs ?? null,
    traceContext: null,
  }
  return { values, due, transaction: transactionOf(ctx, opts.transaction), after: opts.after }
}

/** Stores a task; resolves to its row once written (and visible when the transaction, if any, commits). */
export async function enqueue(
  ctx: Context,
  target: object,
  action: string,
  options: EnqueueOptions = {},
  defaultPriority = 10,
): Promise<AsyncTask> {
  const { values, due, transaction, after } = prepare(ctx, target, action, options, defaultPriority)
  const insert = (): ReturnType<typeof insertTask> => insertTask(ctx, values, transaction, after)
  // With tracing on: a PRODUCER span around the INSERT, its context stored in traceContext.
  const {
    task: stored,
    created,
    decided,
  } = await (ctx.tracing ? ctx.tracing.enqueue(values, insert, (r) => r.task.id) : insert())
  if (decided) await afterDecided(ctx, transaction, decided)
  else if (created && due)
    await afterVisible(ctx, transaction, [values.queue], [values.concurrencyKey])
  return stored
}

/** A task with `after` decided at enqueue (its parents had all succeeded): announced once visible. */
export async function afterDecided(
  ctx: Context,
  transaction: Transaction | null,
  decided: Decided,
): Promise<void> {
  const done = (): Promise<void> => ctx.lifecycle.released(decided)
  if (transaction) transaction.afterCommit(done)
  else await done()
}

/**
 * Once the tasks are visible (committed): tasks with a concurrency key are
 * admitted if their key has room, and a worker in this process is woken once
 * per queue.
 */
export async function afterVisible(
  ctx: Context,
  transaction: Transaction | null,
  queues: string[],
  concurrencyKeys: Array<string | null>,
): Promise<void> {
  const keys = [...new Set(concurrencyKeys.filter((key): key is string => key !== null))]
  const wake = (): void => {
    for (const queue of new Set(queues)) ctx.events.emit('enqueued', queue)
  }
  // Sequelize awaits an afterCommit hook in commit(), so the app's commit
  // resolves once the task is admitted too.
  const admit = async (): Promise<void> => {
    if (keys.length > 0) {
      // A failed admission is not the enqueue's failure: the upkeep's sweep
      // admits the task within a second.
      await ctx.lifecycle.admit(keys).catch((err: unknown) => {
        ctx.settings.logger.error(
          logLine(
            'ERROR',
            `admitting tasks of ${keys.join(', ')} failed: ${(err as Error).message}`,
          ),
        )
      })
    }
    wake()
  }
  if (transaction) transaction.afterCommit(admit)
  else await admit()
}
