/**
 * execute: run one claimed task and record its outcome. Whatever the task
 * does (throw, hang past its timeout, name something it may not), the outcome
 * is stored on the row and the worker goes on.
 */
import type { Context } from './context.js'
import { SerializationError, TimeoutError, UnknownTargetError } from './errors.js'
import { ownMethod } from './registry.js'
import { loadRecord, resolveArgs } from './resolve-args.js'
import { deserialize } from './serializer.js'
import { taskStorage } from './task-context.js'
import type { AsyncTask } from './task-model.js'
import { RecordRef } from './record-ref.js'

export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Finds what the row names, through the registry only. */
async function prepare(
  ctx: Context,
  task: AsyncTask,
): Promise<{ self: object; fn: (...a: unknown[]) => unknown; args: unknown[] }> {
  const target = ctx.registry.resolve(task.objectType)
  let self: object
  if (target.kind === 'model') {
    self =
      task.objectId === null
        ? target.model
        : await loadRecord(ctx, new RecordRef(task.objectType, task.objectId))
  } else {
    if (task.objectId !== null)
      throw new UnknownTargetError(
        `${task.objectType} is a registered class, not a model; it has no records.`,
      )
    self = target.target
  }
  const fn = ownMethod(self, task.action)
  if (!fn)
    throw new UnknownTargetError(
      `${task.objectType} has no method "${task.action}" that a task may call.`,
    )
  const decoded = deserialize(task.argsJson)
  if (!Array.isArray(decoded)) throw new SerializationError('Stored args are not an array.')
  const args = (await resolveArgs(ctx, decoded)) as unknown[]
  return { self, fn, args }
}

/**
 * Runs the task's method with its timeout; resolves to the outcome, never
 * rejects. `abort` lets the worker cut a run short at shutdown.
 */
export async function execute(
  ctx: Context,
  task: AsyncTask,
  abort: AbortController,
): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  try {
    const { self, fn, args } = await prepare(ctx, task)
    const run = taskStorage.run({ task, signal: abort.signal }, () =>
      Promise.resolve(fn.apply(self, args)),
    )
    if (task.timeoutMs === null) return { ok: true, value: await run }
    const timeoutMs = task.timeoutMs
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(
          `${task.label} ran longer than its timeout of ${timeoutMs} ms and was abandoned.`,
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
