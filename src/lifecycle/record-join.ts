/**
 * The record of each claimed task, read with the claim.
 *
 * PostgreSQL: by the claim itself.
 *
 * In the default mode a claimed task starts at once, and before its method
 * runs the worker needs the task's record (`Order` 17 for
 * `order.async('ship')`). Loading it costs a second round trip per task and
 * a pass through Sequelize's `findAll` pipeline, which cost the worker more
 * CPU than the claim (`N=30000 node bench/prof-drain.mjs postgres`, see
 * docs/claiming.md). So
 * the claim statement LEFT JOINs the tables of the models this worker has
 * run tasks of, and returns each claimed row's record beside it, as the
 * committed state the claim saw. The worker builds the instance the way
 * `findAll` would (`Model.build(row, { raw: true, isNewRecord: false })`;
 * the connection's type parsers are Sequelize's own), so a task sees the
 * same record either way, and no record means RecordNotFoundError as before.
 *
 * Only for models whose `findByPk` is a plain SELECT (no default scope, not
 * paranoid, no find hooks: src/record-joins.ts decides) and whose primary key
 * is one integer, string or UUID column. The stored `object_id` is text: it
 * is cast to the key's type only when it has that type's shape (the CASE
 * evaluates the test first), so a hostile or corrupt `object_id` can never
 * make the claim fail — its task is left to the ordinary load, which fails
 * that task alone.
 *
 * MySQL/MariaDB and SQLite: the claim cannot join (MySQL's claim locks what
 * it reads, SQLite's is an UPDATE … RETURNING), so one SELECT per model by
 * primary key follows it in the step's transaction (readRecordsOn). That
 * still saves the trip through Sequelize's findAll per group, and on SQLite
 * the `PRAGMA table_info` that Sequelize runs before every model SELECT on
 * the one shared connection (read here once per model). The values pass
 * the connection's type casts (MySQL: Sequelize's own `typeCast`) or, on
 * SQLite, Sequelize's parsers by the column's declared type, as findAll's
 * do. A task whose record is not found this way (gone, or its key spelled
 * otherwise than the record's: another case, which a MySQL collation
 * matches) is left to the ordinary load, which decides as it always did.
 */
import type { Exec, Row } from './connection.js'
import type { Dialect } from './dialect.js'
import type { Values } from './sql.js'

/** What a claim needs to read one model's records. */
export interface RecordJoin {
  /** The `object_type` of the tasks this model's records belong to. */
  model: string
  /** The quoted table (with its schema, if any). */
  table: string
  /** The quoted primary key column, and how `object_id` compares with it. */
  pk: string
  kind: 'int' | 'text' | 'uuid'
  /** The quoted columns read, and the attribute each one fills (same order). */
  columns: string[]
  attributes: string[]
  /** The columns' unquoted names (same order). */
  fields: string[]
  /**
   * SQLite: a stored value as findAll hands it to the model, by the
   * column's declared type (Sequelize's parsers).
   */
  parse?: (type: string, value: unknown) => unknown
}

/** A claimed task's record as the claim read it: the attribute values, or null if none. */
export interface Preloaded {
  model: string
  values: Record<string, unknown> | null
}

/** The shapes of `object_id` that a key of each kind can hold (checked in SQL and here alike). */
const SHAPE = {
  int: '^-?[0-9]{1,18}$',
  uuid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const
const SHAPE_RE = { int: new RegExp(SHAPE.int), uuid: new RegExp(SHAPE.uuid) }

/** True when the claim looked up this task's record through `join`. */
export function joined(join: RecordJoin, row: { objectType: unknown; objectId: unknown }): boolean {
  if (row.objectType !== join.model || typeof row.objectId !== 'string') return false
  return join.kind === 'text' || SHAPE_RE[join.kind].test(row.objectId)
}

/** `object_id` as the key's type, or NULL when the row is not of this model or has no such shape. */
function keyOf(join: RecordJoin, i: number): string {
  const mine = `c.object_type = :rj${i}`
  if (join.kind === 'text') return `CASE WHEN ${mine} THEN c.object_id END`
  const cast = join.kind === 'int' ? 'bigint' : 'uuid'
  return `CASE WHEN ${mine} AND c.object_id ~ '${SHAPE[join.kind]}' THEN c.object_id::${cast} END`
}

const alias = (i: number, j: number): string => `rj${i}_${j}`

interface JoinSql {
  select: string
  from: string
  values: Values
}

const NO_JOIN: JoinSql = { select: '', from: '', values: {} }

/** Built once per list of joins (a worker makes a new list when a model joins). */
const joinSqls = new WeakMap<RecordJoin[], JoinSql>()

/**
 * The select-list tail and the joins to add to a statement whose claimed
 * rows are `c`, and the values they bind (shared: callers copy, never change them).
 */
export function recordJoinSql(joins: RecordJoin[]): JoinSql {
  if (joins.length === 0) return NO_JOIN
  let sql = joinSqls.get(joins)
  if (!sql) {
    const values: Values = {}
    let select = ''
    let from = ''
    joins.forEach((join, i) => {
      values[`rj${i}`] = join.model
      join.columns.forEach((column, j) => (select += `, r${i}.${column} AS ${alias(i, j)}`))
      from += ` LEFT JOIN ${join.table} AS r${i} ON r${i}.${join.pk} = ${keyOf(join, i)}`
    })
    sql = { select, from, values }
    joinSqls.set(joins, sql)
  }
  return sql
}

/**
 * Takes the record columns off the driver's rows (they must not reach the
 * task row) and returns each claimed task's record, by task id, for the
 * tasks the claim looked up.
 */
export function takeRecords(rows: Row[], joins: RecordJoin[]): Map<number, Preloaded> {
  const out = new Map<number, Preloaded>()
  if (joins.length === 0) return out
  // Per join, once: the result's column names, and which one is the key
  // (never NULL in a record that exists).
  const shapes = joins.map((join, i) => {
    const fields = join.columns.map((_, j) => alias(i, j))
    return { join, fields, key: fields[join.columns.indexOf(join.pk)] as string }
  })
  for (const row of rows) {
    for (const { join, fields, key } of shapes) {
      if (
        row.id !== null &&
        joined(join, { objectType: row.object_type, objectId: row.object_id })
      ) {
        const found = row[key] !== null
        const values = found
          ? Object.fromEntries(join.attributes.map((a, j) => [a, row[fields[j] as string]]))
          : null
        out.set(Number(row.id), { model: join.model, values })
      }
      for (const field of fields) delete row[field]
    }
  }
  return out
}

/** The key as compared between `object_id` and the record: integers without their zeros. */
function keyText(join: RecordJoin, key: unknown): string {
  if (join.kind !== 'int') return String(key)
  try {
    return BigInt(String(key)).toString()
  } catch {
    return String(key)
  }
}

/** SQLite: each join's column types, read once per process (what Sequelize reads per query). */
const declared = new WeakMap<RecordJoin, Map<string, string>>()

async function typesOf(exec: Exec, join: RecordJoin): Promise<Map<string, string>> {
  let types = declared.get(join)
  if (!types) {
    const { rows } = await exec(`PRAGMA table_info(${join.table})`)
    types = new Map(rows.map((row) => [String(row.name), String(row.type)]))
    declared.set(join, types)
  }
  return types
}

const selects = new WeakMap<RecordJoin, string>()
const PG_TYPE = { int: 'bigint', text: 'text', uuid: 'uuid' } as const

/**
 * Reads the records of `rows` (claimed tasks) for each join, one SELECT per
 * model, and adds those found to `out` by task id: after the claim on
 * MySQL/MariaDB and SQLite, and on every dialect for a group of tasks that
 * start together (records.ts) when the claim did not read them.
 */
export async function readRecordsOn(
  exec: Exec,
  dialect: Dialect,
  joins: RecordJoin[],
  rows: Array<{ id: number; objectType: string; objectId: string | null }>,
  out: Map<number, Preloaded>,
): Promise<void> {
  for (const join of joins) {
    const tasks = new Map<string, number[]>()
    for (const row of rows) {
      if (!joined(join, row)) continue
      const key = keyText(join, row.objectId)
      const ids = tasks.get(key)
      if (ids) ids.push(row.id)
      else tasks.set(key, [row.id])
    }
    if (tasks.size === 0) continue
    const types = dialect === 'sqlite' && join.parse ? await typesOf(exec, join) : null
    let sql = selects.get(join)
    if (!sql) {
      const list = join.columns.map((column, j) => `${column} AS ${alias(0, j)}`).join(', ')
      const where =
        dialect === 'postgres'
          ? `${join.pk} = ANY(:keys::${PG_TYPE[join.kind]}[])`
          : `${join.pk} IN (:keys)`
      sql = `SELECT ${list} FROM ${join.table} WHERE ${where}`
      selects.set(join, sql)
    }
    const pkAt = join.columns.indexOf(join.pk)
    const { rows: found } = await exec(sql, { keys: [...tasks.keys()] })
    for (const record of found) {
      const ids = tasks.get(keyText(join, record[alias(0, pkAt)]))
      if (!ids) continue
      const values: Record<string, unknown> = {}
      join.attributes.forEach((attribute, j) => {
        const raw = record[alias(0, j)]
        const type = types?.get(join.fields[j] as string)
        values[attribute] = type !== undefined && join.parse ? join.parse(type, raw) : raw
      })
      // Tasks of one record share the values: RecordGroup builds one instance per record.
      for (const id of ids) out.set(id, { model: join.model, values })
    }
  }
}
