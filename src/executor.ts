/**
 * execute: run claimed tasks. A group of tasks that start together is
 * prepared at once: each row's target resolved through the registry (never
 * globals), its method checked against what the target itself declares,
 * its arguments decoded, and the records of the whole group loaded with one
 * query per model (records.ts). Whatever a task does (throw, hang past its
 * timeout, name something it may not), it ends with an outcome and the
 * worker goes on.
 */
import type { Context } from './context.js'
import { SerializationError, TimeoutError, UnknownTargetError } from './errors.js'
import { labelOf, type Preloaded, type TaskRow } from './lifecycle/index.js'
import { RunContext } from './run-context.js'
import { RecordRef } from './record-ref.js'
import { plainFind } from './record-joins.js'
import { RecordGroup } from './records.js'
import { lookUpMethod } from './registry.js'
import { refsIn, withRecords } from './resolve-args.js'
import { deserialize } from './serializer.js'
import { taskStorage } from './task-context.js'

export type Outcome =
  { ok: true; value: unknown } | { ok: false; error: unknown } | { ok: false; snooze: number }

type Method = (...args: unknown[]) => unknown

/** A task ready to run, or the error it ends with before it runs. */
export type Prepared =
  | { row: TaskRow; ok: true; self: () => object; fn: Method; args: () => unknown[] }
  | { row: TaskRow; ok: false; error: unknown }

/** What a row names, checked before any record is loaded. */
function plan(ctx: Context, row: TaskRow, group: RecordGroup, record?: Preloaded): Prepared {
  try {
    const target = ctx.registry.resolve(row.objectType)
    let self: () => object
    let holder: object
    if (target.kind === 'model') {
      if (row.objectId === null) {
        holder = target.model
        self = () => target.model
      } else {
        const ref = new RecordRef(row.objectType, row.objectId)
        // Read by the claim (record-join.ts) unless a find hook appeared since.
        if (record?.model === row.objectType && plainFind(ctx, target.model))
          group.provide(ref, record.values)
        else group.want(ref)
        holder = target.model.prototype as object
        self = () => group.take(ref)
      }
    } else {
      if (row.objectId !== null)
        throw new UnknownTargetError(
          `${row.objectType} is a registered class, not a model; it has no records.`,
        )
      holder = target.target
      self = () => target.target
    }
    const found = lookUpMethod(holder, row.action)
    if ('refused' in found)
      throw new UnknownTargetError(
        `${row.objectType}#${row.action} cannot run as a task: ${found.refused}.`,
      )
    const { fn } = found
    const decoded = deserialize(row.argsJson)
    if (!Array.isArray(decoded)) throw new SerializationError('Stored args are not an array.')
    for (const ref of refsIn(decoded)) group.want(ref)
    const take = (ref: RecordRef): object => group.take(ref)
    return { row, ok: true, self, fn, args: () => withRecords(decoded, take) as unknown[] }
  } catch (error) {
    return { row, ok: false, error }
  }
}

/** Prepares a group of tasks that start together; records load with one query per model. */
export async function prepare(
  ctx: Context,
  rows: TaskRow[],
  records?: Map<number, Preloaded>,
): Promise<Prepared[]> {
  const group = new RecordGroup(ctx)
  const plans = rows.map((row) => plan(ctx, row, group, records?.get(row.id)))
  await group.load()
  return plans
}

/**
 * Runs a prepared task with its timeout; resolves to the outcome, never
 * rejects. `abort` lets the worker cut a run short at shutdown.
 */
export async function execute(
  ctx: Context,
  prepared: Prepared,
  abort: AbortController,
  workerId: string,
): Promise<Outcome> {
  if (!prepared.ok) return { ok: false, error: prepared.error }
  const { row } = prepared
  const runContext = new RunContext(ctx, row, abort.signal, workerId)
  const outcome = await runWith(runContext, prepared, abort)
  runContext.close()
  // snooze() wins however the method ended after it (even if it caught the throw).
  if (runContext.snoozedFor !== null) return { ok: false, snooze: runContext.snoozedFor }
  return outcome
}

async function runWith(
  runContext: RunContext,
  prepared: Prepared & { ok: true },
  abort: AbortController,
): Promise<Outcome> {
  const { row } = prepared
  let timer: NodeJS.Timeout | undefined
  try {
    const self = prepared.self()
    const args = prepared.args()
    const run = taskStorage.run(runContext, () => Promise.resolve(prepared.fn.apply(self, args)))
    if (row.timeoutMs === null) return { ok: true, value: await run }
    const timeoutMs = row.timeoutMs
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(
          `${labelOf(row)} ran longer than its timeout of ${timeoutMs} ms and was abandoned.`,
        )
        abort.abort(err)
        reject(err)
      }, timeoutMs)
    })
    // The method keeps its promise; the slot is freed when the timer fires.
    run.catch(() => undefined)
    return { ok: true, value: await Promise.race([run, expired]) }
  } catch (error) {
    return { ok: false, error }
  } finally {
    if (timer) clearTimeout(timer)
  }
}
