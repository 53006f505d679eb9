/**
 * enqueue, many at once: nothing → pending for a batch of tasks, one
 * multi-row INSERT per chunk, inside one transaction (the caller's, or one
 * the app-facing side opened). Tasks with a unique key do not come here:
 * they go one by one through enqueue.ts, which resolves a held key to its
 * holder.
 *
 * Chunks: at most 1,000 rows and about 2 MiB of arguments. 1,000 rows of 15
 * parameters (13 and `now` twice; PostgreSQL takes 14 arrays instead) stay
 * under every driver's limit of bound parameters (SQLite
 * 32,766 since 3.32 — the sqlite3 package bundles 3.52 here, and the
 * package needs 3.35 for RETURNING anyway; PostgreSQL and MySQL 65,535);
 * the byte cap keeps a chunk of large payloads under MySQL's
 * max_allowed_packet (4 MiB on old servers).
 *
 * The ids, in input order:
 * - PostgreSQL and SQLite: `RETURNING id`. Neither promises the order of
 *   RETURNING rows, but both assign ids row by row in input order within the
 *   statement (PostgreSQL's nextval per row as the unnested arrays are read;
 *   SQLite's rowid max+1 under its single write lock), so the ids sorted
 *   ascending are the rows in input order.
 * - MariaDB (10.5+): `INSERT … RETURNING id`, sorted likewise.
 * - MySQL 8 (no RETURNING): the insert id is the first row's; InnoDB
 *   reserves the whole range of a multi-row `INSERT … VALUES` (a "simple
 *   insert", row count known in advance) at once, stepping by
 *   auto_increment_increment. That is read back and compared with what was
 *   written, inside the transaction; a mismatch throws (and rolls back)
 *   rather than hand out wrong ids.
 */
import type { Exec, Positional } from './connection.js'
import { isMysql, type Dialect } from './dialect.js'
import type { NewTask } from './enqueue.js'

const MAX_ROWS = 1000
const MAX_CHUNK_BYTES = 2 * 1024 * 1024

const COLUMNS = `(object_type, object_id, action, args, queue, priority, scheduled_at, ready, status,
   attempts, max_attempts, interruptions, timeout_ms, unique_key, unique_hold, unique_until,
   concurrency_key, concurrency_limit, permits, trace_context, created_at, updated_at)`

const FIELDS = [
  'objectType',
  'objectId',
  'action',
  'argsJson',
  'queue',
  'priority',
  'scheduledAt',
  'ready',
  'maxAttempts',
  'timeoutMs',
  'concurrencyKey',
  'concurrencyLimit',
  'traceContext',
] as const

/** The tasks split into chunks by row count and argument bytes (a chunk has at least one task). */
export function chunksOf<T extends { argsJson: string }>(tasks: T[]): T[][] {
  const chunks: T[][] = []
  let chunk: T[] = []
  let bytes = 0
  for (const task of tasks) {
    const size = Buffer.byteLength(task.argsJson) + 200
    if (chunk.length > 0 && (chunk.length >= MAX_ROWS || bytes + size > MAX_CHUNK_BYTES)) {
      chunks.push(chunk)
      chunk = []
      bytes = 0
    }
    chunk.push(task)
    bytes += size
  }
  if (chunk.length > 0) chunks.push(chunk)
  return chunks
}

/** A task whose date is already the dialect's parameter. */
export type BoundTask = Omit<NewTask, 'scheduledAt'> & { scheduledAt: unknown }

/** What the server behind a mysql/mariadb dialect can do. */
export type Flavour = 'returning' | 'insertId'

/** MariaDB returns ids from an INSERT; MySQL 8 does not. Asked once per lifecycle. */
export async function flavourOf(exec: Exec, dialect: Dialect): Promise<Flavour> {
  if (!isMysql(dialect)) return 'returning'
  const { rows } = await exec('SELECT VERSION() AS version')
  return /mariadb/i.test(String(rows[0]?.version)) ? 'returning' : 'insertId'
}

/**
 * PostgreSQL: one array parameter per column, unnested into rows — 14
 * parameters whatever the chunk size, and 2-4× faster than a VALUES list of
 * 13,000 parameters (measured with 1,000 rows on the bench machine, which
 * was loaded: 60-160 ms against 190-560 ms), which PostgreSQL parses and
 * types one by one.
 */
const UNNEST = `INSERT INTO async_tasks ${COLUMNS}
  SELECT object_type, object_id, action, args, queue, priority, scheduled_at, ready, 'pending',
    0, max_attempts, 0, timeout_ms, NULL, NULL, NULL, concurrency_key, concurrency_limit, 0,
    trace_context, $1, $1
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
    $8::timestamptz[], $9::smallint[], $10::int[], $11::int[], $12::text[], $13::int[], $14::text[])
    AS t(object_type, object_id, action, args, queue, priority, scheduled_at, ready, max_attempts,
      timeout_ms, concurrency_key, concurrency_limit, trace_context)`

/**
 * The INSERT of `rows` rows in the driver's positional form: on PostgreSQL
 * the UNNEST statement; elsewhere a VALUES list built per chunk size (so it
 * skips the named-parameter pass of the fixed statements), 13 parameters a
 * row plus `now` twice.
 */
function insertSql(dialect: Dialect, rows: number): string {
  if (dialect === 'postgres') return UNNEST
  const tuples: string[] = []
  const row = `(${FIELDS.slice(0, 8)
    .map(() => '?')
    .join(', ')}, 'pending', 0, ?, 0, ?, NULL, NULL, NULL, ?, ?, 0, ?, ?, ?)`
  for (let i = 0; i < rows; i++) tuples.push(row)
  return `INSERT INTO async_tasks ${COLUMNS} VALUES ${tuples.join(',\n')}`
}

function paramsOf(dialect: Dialect, tasks: BoundTask[], now: unknown): unknown[] {
  if (dialect === 'postgres') return [now, ...FIELDS.map((field) => tasks.map((t) => t[field]))]
  const params: unknown[] = []
  for (const task of tasks) {
    for (const field of FIELDS) params.push(task[field])
    params.push(now, now)
  }
  return params
}

/**
 * Inserts one chunk (tasks without a unique key) with dates already as the
 * dialect's parameters; resolves to their ids in input order. `exec` runs
 * the named statements (the MySQL 8 check), `run` the positional INSERT.
 */
export async function insertChunk(
  exec: Exec,
  run: Positional,
  dialect: Dialect,
  flavour: Flavour,
  tasks: BoundTask[],
  now: unknown,
): Promise<number[]> {
  const sql = insertSql(dialect, tasks.length)
  const params = paramsOf(dialect, tasks, now)
  if (flavour === 'returning') {
    const { rows } = await run(`${sql} RETURNING id`, params)
    const ids = rows.map((row) => Number(row.id)).sort((a, b) => a - b)
    if (ids.length !== tasks.length)
      throw new Error(`The database returned ${ids.length} ids for ${tasks.length} new tasks.`)
    return ids
  }
  const first = Number((await run(sql, params)).insertId)
  const { rows } = await exec('SELECT @@auto_increment_increment AS step')
  const step = Number(rows[0]?.step ?? 1)
  const ids = tasks.map((_, i) => first + i * step)
  await checkIds(exec, ids, tasks)
  return ids
}

/** MySQL 8: the rows at the computed ids are the ones just written (else throw: rolls back). */
async function checkIds(exec: Exec, ids: number[], tasks: BoundTask[]): Promise<void> {
  const { rows } = await exec(
    'SELECT id, object_type, object_id, action FROM async_tasks WHERE id IN (:ids)',
    { ids },
  )
  const byId = new Map(rows.map((row) => [Number(row.id), row]))
  tasks.forEach((task, i) => {
    const row = byId.get(ids[i] as number)
    const same =
      row !== undefined &&
      String(row.object_type) === task.objectType &&
      (row.object_id === null ? null : `${row.object_id as string}`) === task.objectId &&
      String(row.action) === task.action
    if (!same)
      throw new Error(
        'The ids of a multi-row insert were not consecutive (innodb_autoinc_lock_mode?); nothing was stored. Enqueue these tasks one by one.',
      )
  })
}
