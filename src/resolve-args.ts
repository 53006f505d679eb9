/**
 * Replaces the record references in decoded arguments with records loaded
 * now, so a task sees current data. A record deleted since the enqueue fails
 * the task with RecordNotFoundError.
 */
import type { Context } from './context.js'
import { RecordNotFoundError, UnknownTargetError } from './errors.js'
import { RecordRef } from './record-ref.js'

export async function loadRecord(ctx: Context, ref: RecordRef): Promise<object> {
  const model = ctx.registry.model(ref.model)
  if (!model)
    throw new UnknownTargetError(
      `A stored argument refers to "${ref.model}", which is not a model here.`,
    )
  const record = await model.findByPk(ref.id)
  if (!record) {
    throw new RecordNotFoundError(
      `${ref.model} with id ${ref.id} no longer exists (deleted after the task was enqueued).`,
    )
  }
  return record
}

export async function resolveArgs(ctx: Context, value: unknown): Promise<unknown> {
  if (value instanceof RecordRef) return loadRecord(ctx, value)
  if (Array.isArray(value)) return Promise.all(value.map((item) => resolveArgs(ctx, item)))
  if (value instanceof Map) {
    const entries = await Promise.all(
      [...value].map(
        async ([k, v]) => [await resolveArgs(ctx, k), await resolveArgs(ctx, v)] as const,
      ),
    )
    return new Map(entries)
  }
  if (value instanceof Set)
    return new Set(await Promise.all([...value].map((item) => resolveArgs(ctx, item))))
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = await resolveArgs(ctx, item)
    return out
  }
  return value
}
