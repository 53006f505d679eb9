/**
 * Statements are written once with named parameters (`:id`, `:ids`) and
 * compiled per dialect to the driver's positional form: `$1` for pg, `?`
 * for mysql2 and sqlite3. Values always travel as parameters, never inside
 * the SQL text. An array value is one `$n` (an SQL array) on PostgreSQL and
 * a `?, ?, ?` list on the others; an empty list reads as `NULL`, which
 * matches nothing in `IN (…)`.
 */
import type { Dialect } from './dialect.js'

export type Values = Record<string, unknown>

export interface Compiled {
  sql: string
  params: unknown[]
}

// `:name`, but not the `::type` of a PostgreSQL cast.
const NAME = /(?<![:\w]):([A-Za-z_]\w*)/g

interface Template {
  parts: string[]
  names: string[]
  /**
   * PostgreSQL's compiled text and the name behind each `$n`, made once: the
   * text depends only on the statement, and handing the driver the same
   * string each call also lets the prepared-statement lookup reuse its hash.
   */
  pg?: { sql: string; slots: string[] }
}

const cache = new Map<string, Template>()

function parse(text: string): Template {
  let template = cache.get(text)
  if (!template) {
    const split = text.split(NAME)
    const parts: string[] = []
    const names: string[] = []
    split.forEach((piece, i) => (i % 2 === 0 ? parts.push(piece) : names.push(piece)))
    template = { parts, names }
    cache.set(text, template)
  }
  return template
}

/** Binds `values` to the named parameters of `text` for `dialect`. */
export function bind(dialect: Dialect, text: string, values: Values): Compiled {
  const template = parse(text)
  if (dialect === 'postgres') {
    const { sql, slots } = (template.pg ??= numbered(template))
    const params = slots.map((name) => {
      if (!(name in values)) throw new Error(`sequelize-async: no value for :${name} in ${text}`)
      return values[name]
    })
    return { sql, params }
  }
  const { parts, names } = template
  const params: unknown[] = []
  let sql = parts[0] as string
  names.forEach((name, i) => {
    if (!(name in values)) throw new Error(`sequelize-async: no value for :${name} in ${text}`)
    const value = values[name]
    if (Array.isArray(value)) {
      params.push(...(value as unknown[]))
      sql += value.length === 0 ? 'NULL' : Array.from(value, () => '?').join(', ')
    } else {
      params.push(value)
      sql += '?'
    }
    sql += parts[i + 1] as string
  })
  return { sql, params }
}

/** `:name` → `$n`, one number per distinct name, in order of first use. */
function numbered({ parts, names }: Template): { sql: string; slots: string[] } {
  const slots: string[] = []
  let sql = parts[0] as string
  names.forEach((name, i) => {
    let n = slots.indexOf(name) + 1
    if (n === 0) n = slots.push(name)
    sql += `$${n}${parts[i + 1] as string}`
  })
  return { sql, slots }
}

const texts = new Map<string, string>()

/**
 * A statement text built once per shape: `key` names everything the text
 * depends on (the dialect, which optional parts it has, how many rows),
 * and `build` makes it the first time. The hot path's statements are
 * assembled from parts; rebuilding them per step cost a few kilobytes of
 * garbage and the hashing of a new multi-kilobyte string in every cache
 * keyed by text (bind's templates, the prepared-statement names).
 */
export function shaped(key: string, build: () => string): string {
  let text = texts.get(key)
  if (text === undefined) {
    text = build()
    // Shapes are few per process; the bound only guards against a key that is not.
    if (texts.size < 1000) texts.set(key, text)
  }
  return text
}

let nextList = 1
const listIds = new WeakMap<object, number>()

/** A number for a list (by identity) that a text is built from, for shaped() keys; 0 when empty. */
export function listId(list: readonly unknown[]): number {
  if (list.length === 0) return 0
  let id = listIds.get(list)
  if (id === undefined) {
    id = nextList++
    listIds.set(list, id)
  }
  return id
}
