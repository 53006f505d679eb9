/**
 * enqueue: nothing → pending. One INSERT; `ready` says where the task
 * starts: 1 due now (straight into the claim index), 0 scheduled (promotion
 * makes it due, against the database's clock), 2 blocked behind its
 * concurrency key until admitted (keys.ts). Inside the app's transaction
 * when it passes one, so workers see the task only once that commits.
 *
 * The id comes back with the statement itself: `RETURNING id` on
 * PostgreSQL, the driver's last-insert id on MySQL/MariaDB and SQLite.
 *
 * A unique task carries its key in `unique_hold`, under a unique index, so
 * the database lets exactly one enqueue of a key win however many processes
 * race. The loser writes nothing and reads the winner: PostgreSQL and SQLite
 * with `ON CONFLICT (unique_hold) DO NOTHING` (an error would abort the
 * app's PostgreSQL transaction), MySQL/MariaDB by the duplicate-key error,
 * which undoes only that statement.
 */
import type { Exec } from './connection.js'
import type { Dialect } from './dialect.js'
import { fromDb, type TaskRow } from './row.js'
import type { Values } from './sql.js'

/** What an enqueue writes; the rest of the row takes its initial value. */
export interface NewTask {
  objectType: string
  objectId: string | null
  action: string
  argsJson: string
  queue: string
  priority: number
  scheduledAt: Date
  /** 1 due, 0 scheduled, 2 blocked by its concurrency key, 3 waiting on parents (`after`). */
  ready: 0 | 1 | 2 | 3
  maxAttempts: number
  timeoutMs: number | null
  uniqueKey: string | null
  uniqueUntil: 'started' | 'finished' | null
  concurrencyKey: string | null
  concurrencyLimit: number | null
  /** W3C traceparent (and tracestate) of the enqueuing span; null unless tracing is on. */
  traceContext: string | null
}

const INSERT = `INSERT INTO async_tasks
  (object_type, object_id, action, args, queue, priority, scheduled_at, ready, status,
   attempts, max_attempts, interruptions, timeout_ms, unique_key, unique_hold, unique_until,
   concurrency_key, concurrency_limit, permits, trace_context, created_at, updated_at)
  VALUES (:objectType, :objectId, :action, :argsJson, :queue, :priority, :scheduledAt, :ready,
   'pending', 0, :maxAttempts, 0, :timeoutMs, :uniqueKey, :uniqueKey, :uniqueUntil,
   :concurrencyKey, :concurrencyLimit, 0, :traceContext, :now, :now)`

const ON_CONFLICT = ' ON CONFLICT (unique_hold) DO NOTHING'

/** The new task's id, or the task that holds its unique key. */
export type Inserted = { id: number; existing: null } | { id: number; existing: TaskRow }

const isDuplicate = (err: unknown): boolean => (err as { errno?: unknown }).errno === 1062

async function holder(exec: Exec, key: string): Promise<TaskRow | null> {
  const { rows } = await exec('SELECT * FROM async_tasks WHERE unique_hold = :key', { key })
  return rows[0] ? fromDb(rows[0]) : null
}

async function insertOnce(exec: Exec, dialect: Dialect, values: Values): Promise<number | null> {
  const unique = values.uniqueKey !== null
  if (dialect === 'postgres') {
    const sql = `${INSERT}${unique ? ON_CONFLICT : ''} RETURNING id`
    const { rows } = await exec(sql, values)
    return rows[0] ? Number(rows[0].id) : null
  }
  if (dialect === 'sqlite') {
    const result = await exec(`${INSERT}${unique ? ON_CONFLICT : ''}`, values)
    return result.affected === 0 ? null : Number(result.insertId)
  }
  try {
    return Number((await exec(INSERT, values)).insertId)
  } catch (err) {
    if (unique && isDuplicate(err)) return null
    throw err
  }
}

/**
 * Inserts the task; with a unique key held by another task, resolves to
 * that task instead. The holder can release the key between the two steps
 * (it started): then the insert is tried again.
 */
export async function insertOn(exec: Exec, dialect: Dialect, values: Values): Promise<Inserted> {
  for (let attempt = 1; ; attempt++) {
    const id = await insertOnce(exec, dialect, values)
    if (id !== null) return { id, existing: null }
    const existing = await holder(exec, values.uniqueKey as string)
    if (existing) return { id: existing.id, existing }
    if (attempt >= 5)
      throw new Error(`The unique key ${String(values.uniqueKey)} kept changing hands; try again.`)
  }
}
