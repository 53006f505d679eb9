/**
 * The records of tasks that start together, loaded with one query per model
 * (`findAll` by primary key, so default scopes and paranoid models behave as
 * `findByPk` does) right before their methods run: a task always sees the
 * record as it is when it starts, never as it was when enqueued. A record
 * gone meanwhile fails only the tasks that needed it, with
 * RecordNotFoundError. Each task gets its own instance, even when several
 * tasks of the group name the same record.
 *
 * On PostgreSQL in the default mode the claim itself may have read a task's
 * record (lifecycle/record-join.ts): `provide()` hands it in, built as
 * `findAll` builds its results, and it is not loaded again.
 */
import type { Model, ModelStatic } from 'sequelize'
import type { Context } from './context.js'
import { RecordNotFoundError, UnknownTargetError } from './errors.js'
import type { RecordRef } from './record-ref.js'
import type { RecordJoin } from './lifecycle/index.js'
import { joinFor, plainFind } from './record-joins.js'

interface ByModel {
  model: ModelStatic<Model> | undefined
  ids: Set<string>
  found: Map<string, Model>
  error: unknown
  /** Ids already handed to a task: the next one gets a copy. */
  served: Set<string>
  /** Ids the claim looked up and found no record for. */
  missing: Set<string>
  /** The model's attribute names, for instances built from the claim's rows. */
  attributes?: string[]
}

export class RecordGroup {
  private readonly byModel = new Map<string, ByModel>()

  constructor(private readonly ctx: Context) {}

  private entryOf(ref: RecordRef): ByModel {
    let entry = this.byModel.get(ref.model)
    if (!entry) {
      const model = this.ctx.registry.model(ref.model)
      entry = {
        model,
        ids: new Set(),
        found: new Map(),
        error: undefined,
        served: new Set(),
        missing: new Set(),
      }
      this.byModel.set(ref.model, entry)
    }
    return entry
  }

  /** Notes a record a task of the group will need. */
  want(ref: RecordRef): void {
    this.entryOf(ref).ids.add(String(ref.id))
  }

  /** A record the claim read (its attribute values), or null: the claim found none. */
  provide(ref: RecordRef, values: Record<string, unknown> | null): void {
    const entry = this.entryOf(ref)
    const key = String(ref.id)
    if (!entry.model || entry.found.has(key)) return
    if (values === null) {
      entry.missing.add(key)
      return
    }
    // As findAll builds its results (the selected attributes included).
    entry.attributes ??= Object.keys(entry.model.getAttributes())
    const options = { isNewRecord: false, raw: true, attributes: entry.attributes }
    entry.found.set(key, entry.model.build(values as never, options))
  }

  /**
   * One query per model for every record wanted: a plain SELECT by primary
   * key where `findByPk` is one (record-joins.ts decides; values as
   * `findAll` hands them to the model), else `findAll`. Records the SELECT
   * did not find, or all of them if it failed, go to `findAll`, which says
   * what is wrong.
   */
  async load(): Promise<void> {
    await Promise.all(
      [...this.byModel].map(async ([name, entry]) => {
        if (!entry.model || entry.ids.size === 0) return
        const model = entry.model
        const pk = model.primaryKeyAttribute
        try {
          let ids = [...entry.ids].filter((id) => !entry.found.has(id) && !entry.missing.has(id))
          const join = ids.length > 0 && plainFind(this.ctx, model) ? joinFor(this.ctx, name) : null
          if (join) ids = await this.read(join, entry, ids)
          if (ids.length === 0) return
          const records =
            ids.length === 1
              ? [await model.findByPk(ids[0])].filter((r): r is Model => r !== null)
              : await model.findAll({ where: { [pk]: ids } as never })
          for (const record of records) entry.found.set(String(record.get(pk)), record)
        } catch (err) {
          entry.error = err
        }
      }),
    )
  }

  /** Reads `ids` with one SELECT; resolves to those it did not find. */
  private async read(join: RecordJoin, entry: ByModel, ids: string[]): Promise<string[]> {
    const model = entry.model as ModelStatic<Model>
    let read
    try {
      read = await this.ctx.lifecycle.readRecords(
        join,
        ids.map((objectId, i) => ({ id: i, objectType: join.model, objectId })),
      )
    } catch {
      return ids
    }
    entry.attributes ??= Object.keys(model.getAttributes())
    const options = { isNewRecord: false, raw: true, attributes: entry.attributes }
    for (const [i, { values }] of read) {
      if (values) entry.found.set(ids[i] as string, model.build(values as never, options))
    }
    return ids.filter((id) => !entry.found.has(id))
  }

  /** The loaded record for `ref`; throws what a task that needs it must fail with. */
  take(ref: RecordRef): Model {
    const entry = this.byModel.get(ref.model)
    if (!entry?.model) {
      throw new UnknownTargetError(
        `A stored task refers to "${ref.model}", which is not a model of this Sequelize instance.`,
      )
    }
    const key = String(ref.id)
    const record = entry.found.get(key)
    if (!record && entry.error !== undefined && !entry.missing.has(key)) throw entry.error as Error
    if (!record) {
      throw new RecordNotFoundError(
        `${ref.model} with id ${ref.id} no longer exists (deleted after the task was enqueued).`,
      )
    }
    if (!entry.served.has(key)) {
      entry.served.add(key)
      return record
    }
    return copy(entry.model, record)
  }
}

/** A second instance of a loaded record, sharing no mutable value with it. */
function copy(model: ModelStatic<Model>, record: Model): Model {
  const values = record.dataValues as Record<string, unknown>
  let own: Record<string, unknown>
  try {
    own = structuredClone(values)
  } catch {
    own = { ...values }
  }
  return model.build(own as never, { isNewRecord: false, raw: true })
}
