/**
 * `onDestroy: 'cancel'` (the default): when a record is destroyed, its
 * pending tasks are cancelled with the reason `Cancelled: Order(17) was
 * destroyed`, in the destroy's transaction, instead of each failing later
 * with RecordNotFoundError. Running tasks are left to finish or fail.
 *
 * Sequelize-level hooks, registered once per installation, cover every model
 * of the instance, defined before or after installAsync():
 *
 * - `afterDestroy` (instance `destroy()`, and `Model.destroy()` with
 *   `individualHooks: true`): the record's tasks;
 * - `beforeBulkDestroy` + `afterBulkDestroy` (`Model.destroy({ where })`):
 *   the primary keys matching `where` are read before the delete, in its
 *   transaction, and their tasks cancelled after it. One extra read of the
 *   keys; skipped when `individualHooks` already covers the rows, or when
 *   the call passes `hooks: false` (then nothing is cancelled).
 *
 * A soft delete of a paranoid model is a destroy too: its tasks are
 * cancelled (a restored record does not get them back). Tasks that only
 * take the record as an argument are not the record's tasks and stay.
 */
import type { Model, ModelStatic, Transaction } from 'sequelize'
import type { Context } from './context.js'
import { transactionOf } from './enqueue.js'

/** What `onDestroy` does with a destroyed record's pending tasks. */
export type OnDestroy = 'cancel' | 'keep'

const HOOK = 'sequelize-async:onDestroy'

interface BulkOptions {
  model?: ModelStatic<Model>
  where?: unknown
  transaction?: Transaction | null
  individualHooks?: boolean
}

/** The single primary key attribute of a model, or null (composite: its records are never task targets). */
function keyOf(model: ModelStatic<Model>): string | null {
  const keys = Object.keys((model as unknown as { primaryKeys: object }).primaryKeys)
  return keys.length === 1 ? (keys[0] as string) : null
}

/** A model whose records can be task targets: this instance's, not the task model itself. */
function targets(ctx: Context, model: ModelStatic<Model> | undefined): model is ModelStatic<Model> {
  return (
    model !== undefined &&
    (model as unknown) !== ctx.AsyncTask &&
    ctx.registry.model(model.name) === model
  )
}

/**
 * Whether the task table exists: a host may install the package in a
 * process that never migrates (a test suite that uses `sync()`), and its
 * destroys must not fail for want of our table. Checked outside the app's
 * transaction (a failed statement would abort a PostgreSQL one), until found.
 */
function tableReady(ctx: Context): () => Promise<boolean> {
  let found = false
  return async () => {
    if (found) return true
    found = await ctx.lifecycle.connections.run('SELECT 1 FROM async_tasks WHERE 1 = 0', {}).then(
      () => true,
      () => false,
    )
    return found
  }
}

async function cancel(
  ctx: Context,
  ready: () => Promise<boolean>,
  model: ModelStatic<Model>,
  ids: unknown[],
  transaction: Transaction | null | undefined,
): Promise<number> {
  const objectIds = ids
    .filter((id) => id !== null && id !== undefined)
    .map((id) => String(id as string | number))
  if (objectIds.length === 0 || !(await ready())) return 0
  return ctx.lifecycle.cancelForRecords(
    model.name,
    objectIds,
    (objectId) => `Cancelled: ${model.name}(${objectId}) was destroyed`,
    transactionOf(ctx, transaction),
  )
}

/** Registers the destroy hooks on the installation's Sequelize instance. */
export function cancelOnDestroy(ctx: Context, onDestroy: OnDestroy): void {
  if (onDestroy === 'keep') return
  const pending = new WeakMap<object, unknown[]>()
  const ready = tableReady(ctx)
  const { sequelize } = ctx
  sequelize.addHook('afterDestroy', HOOK, async (record: Model, options) => {
    const model = record.constructor as ModelStatic<Model>
    const key = targets(ctx, model) ? keyOf(model) : null
    if (key === null) return
    await cancel(ctx, ready, model, [record.get(key)], options.transaction)
  })
  sequelize.addHook('beforeBulkDestroy', HOOK, async (options: BulkOptions) => {
    const { model } = options
    if (!targets(ctx, model) || options.individualHooks) return
    const key = keyOf(model)
    if (key === null || !(await ready())) return
    const rows = await model.findAll({
      where: options.where as never,
      attributes: [key],
      transaction: options.transaction ?? undefined,
      raw: true,
    })
    pending.set(
      options,
      rows.map((row) => (row as unknown as Record<string, unknown>)[key]),
    )
  })
  sequelize.addHook('afterBulkDestroy', HOOK, async (options: BulkOptions) => {
    const ids = pending.get(options)
    if (!ids || !options.model) return
    pending.delete(options)
    await cancel(ctx, ready, options.model, ids, options.transaction)
  })
}
