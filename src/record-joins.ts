/**
 * Which models a worker's claims read records of (default mode:
 * lifecycle/record-join.ts has the SQL and why).
 *
 * A model joins once the worker has claimed a task of it, so the claim
 * reads only tables this worker really needs, at most MAX of them; the
 * first task of a model loads its record the ordinary way. A model joins
 * only when `findByPk` on it is a plain SELECT of its columns:
 * - one primary key column, an integer, a string or a UUID;
 * - no default scope, not paranoid, no find hooks on it or on the
 *   Sequelize instance (they could change or filter what `findByPk` finds);
 * - identifiers quoted (Sequelize's default).
 * `usable()` asks again right before an instance is built, so a hook added
 * while the worker runs sends the record back to the ordinary load.
 *
 * If a claim with joins fails as a statement (a table renamed or dropped
 * while workers run), the claim runs again without them and this worker
 * stops joining, saying so once in the log.
 */
import type { Model, ModelStatic } from 'sequelize'
import type { Context } from './context.js'
import type { RecordJoin } from './lifecycle/index.js'

const MAX = 8

const FIND_HOOKS = [
  'beforeFind',
  'beforeFindAfterExpandIncludeAll',
  'beforeFindAfterOptions',
  'afterFind',
] as const

const KINDS: Record<string, RecordJoin['kind']> = {
  INTEGER: 'int',
  BIGINT: 'int',
  SMALLINT: 'int',
  STRING: 'text',
  TEXT: 'text',
  UUID: 'uuid',
}

interface Hooked {
  hasHook(name: string): boolean
}

type Internals = ModelStatic<Model> & { _scope?: object; options: { paranoid?: boolean } }

/** True when `findByPk` on `model` is a plain SELECT of its columns. */
export function plainFind(ctx: Context, model: ModelStatic<Model>): boolean {
  const m = model as Internals
  if (Object.keys(m._scope ?? {}).length > 0 || m.options.paranoid) return false
  const sequelize = ctx.sequelize as unknown as Hooked
  return !FIND_HOOKS.some(
    (hook) => (model as unknown as Hooked).hasHook(hook) || sequelize.hasHook(hook),
  )
}

/** How a claim reads `model`'s records, or null when it must be loaded the ordinary way. */
export function recordJoinOf(ctx: Context, name: string): RecordJoin | null {
  const model = ctx.registry.model(name)
  if (!model || !plainFind(ctx, model)) return null
  return joinFor(ctx, name)
}

/** Joins by model name, built once per installation (SQLite reads column types once per join). */
const built = new WeakMap<Context, Map<string, RecordJoin | null>>()

/**
 * How `name`'s records are read by primary key, or null when its key or
 * its table does not allow it. Whether `findByPk` is a plain SELECT
 * (plainFind) is the caller's to ask, each time: hooks can be added later.
 */
export function joinFor(ctx: Context, name: string): RecordJoin | null {
  let byName = built.get(ctx)
  if (!byName) {
    byName = new Map()
    built.set(ctx, byName)
  }
  if (!byName.has(name)) byName.set(name, shapeOf(ctx, name))
  return byName.get(name) ?? null
}

function shapeOf(ctx: Context, name: string): RecordJoin | null {
  const model = ctx.registry.model(name)
  if (!model) return null
  if (
    (ctx.sequelize as unknown as { options: { quoteIdentifiers?: boolean } }).options
      .quoteIdentifiers === false
  )
    return null
  const pks = model.primaryKeyAttributes
  if (pks.length !== 1) return null
  const attributes = model.getAttributes() as Record<
    string,
    { field?: string; type: { key?: string } }
  >
  const pkAttribute = attributes[pks[0] as string]
  const kind = KINDS[String(pkAttribute?.type?.key)]
  if (!pkAttribute || !kind) return null
  const q = ctx.sequelize.getQueryInterface().queryGenerator as {
    quoteIdentifier(name: string): string
    quoteTable(table: unknown): string
  }
  const names: string[] = []
  const columns: string[] = []
  const fields: string[] = []
  for (const [attribute, definition] of Object.entries(attributes)) {
    if (definition.type?.key === 'VIRTUAL') continue
    // Sequelize's mariadb dialect parses JSON text after the driver: left to findAll.
    if (ctx.dialect === 'mariadb' && definition.type?.key === 'JSON') return null
    names.push(attribute)
    fields.push(definition.field ?? attribute)
    columns.push(q.quoteIdentifier(definition.field ?? attribute))
  }
  return {
    model: name,
    table: q.quoteTable(model.getTableName()),
    pk: q.quoteIdentifier(pkAttribute.field ?? (pks[0] as string)),
    kind,
    columns,
    attributes: names,
    fields,
    ...(ctx.dialect === 'sqlite' ? { parse: sqliteParsers(ctx) } : {}),
  }
}

interface SqliteQuery {
  applyParsers(type: string, value: unknown): unknown
}

/** SQLite: Sequelize's own conversion of a stored value by its column's declared type. */
function sqliteParsers(ctx: Context): (type: string, value: unknown) => unknown {
  const dialect = (
    ctx.sequelize as unknown as { dialect: { Query: new (...a: unknown[]) => SqliteQuery } }
  ).dialect
  const query = new dialect.Query(null, ctx.sequelize, {})
  return (type, value) => query.applyParsers(type, value)
}

/** One worker's joined models. */
export class RecordJoins {
  private readonly seen = new Map<string, RecordJoin | null>()
  private list: RecordJoin[] = []
  private off = false

  constructor(private readonly ctx: Context) {}

  /** The joins for the next claim. */
  current(): RecordJoin[] {
    return this.off ? [] : this.list
  }

  /** Notes the models of claimed tasks: a new one joins from the next claim on. */
  saw(rows: Array<{ objectType: string; objectId: string | null }>): void {
    if (this.off) return
    for (const row of rows) {
      if (this.list.length >= MAX) return
      if (row.objectId === null || this.seen.has(row.objectType)) continue
      const join = recordJoinOf(this.ctx, row.objectType)
      this.seen.set(row.objectType, join)
      // A new array: a claim in flight keeps the list it was sent with.
      if (join) this.list = [...this.list, join]
    }
  }

  /** A claim with joins failed as a statement: no more joins in this worker. */
  readonly failed = (err: unknown): void => {
    if (this.off) return
    this.off = true
    this.ctx.settings.logger.error(
      `Reading records with the claim failed (${(err as Error).message}); this worker loads them with findAll from now on.`,
    )
  }
}
