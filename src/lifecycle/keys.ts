/**
 * Per-key concurrency: admit (blocked → due) and settle (a holder's permit
 * freed, handed to the next blocked task of its key).
 *
 * A task with a `concurrencyKey` is enqueued blocked (`ready = 2`, out of
 * the claim index) and admitted — `ready = 1`, permit bit 1 — only while
 * fewer than its `concurrencyLimit` tasks of the key hold a permit. The
 * permit is held while the task is due or running, and freed by its
 * outcome, a cancel or a delete. So at most `concurrencyLimit` tasks of a
 * key run at once, over every worker and host, a task held back by its key
 * never sits in front of other due tasks, and no worker looks at it until a
 * permit is free.
 *
 * `async_concurrency` counts the holders of each key, one row per key. Every
 * change takes the key's row lock first, in a statement of its own, and only
 * then reads the blocked tasks: in READ COMMITTED a later statement sees
 * everything committed before the lock was granted, so a task blocked by a
 * concurrent enqueue is never missed (one statement would read a snapshot
 * taken before it waited for the lock). Keys are locked in order, so two
 * transactions never wait on each other's keys.
 */
import type { Exec } from './connection.js'
import { inList, isMysql, NOW, type Dialect } from './dialect.js'

/** Rows of `async_concurrency` for keys first seen; an existing row is left alone (and unlocked). */
export function ensureKeysSql(dialect: Dialect, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `(:k${i}, 0, ${NOW[dialect]})`).join(', ')
  const insert = `INSERT INTO async_concurrency (concurrency_key, holders, updated_at) VALUES ${rows}`
  return isMysql(dialect)
    ? insert.replace('INSERT', 'INSERT IGNORE')
    : `${insert} ON CONFLICT DO NOTHING`
}

const lockSql = (d: Dialect): string =>
  `SELECT concurrency_key, holders FROM async_concurrency
   WHERE ${d === 'postgres' ? 'concurrency_key = ANY(:keys::text[])' : 'concurrency_key IN (:keys)'}
   ORDER BY concurrency_key${d === 'sqlite' ? '' : ' FOR UPDATE'}`

/** The next blocked tasks of a key, in claim order (the blocked index). */
const BLOCKED = `SELECT id, concurrency_limit FROM async_tasks %INDEX%
  WHERE ready = 2 AND concurrency_key = :key
  ORDER BY priority DESC, scheduled_at, id LIMIT :room`

const admitSql = (d: Dialect): string =>
  `UPDATE async_tasks SET ready = 1, permits = permits | 1, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND ready = 2`

const COUNT = `UPDATE async_concurrency SET holders = :holders, updated_at = %NOW%
  WHERE concurrency_key = :key`

/** How many tasks are looked at per key and call; more are admitted by the next settle. */
const ROOM = 200

/**
 * PostgreSQL: a locked key's settlement in one statement (it runs after the
 * lock, so its snapshot sees every task blocked before the lock was
 * granted). The next blocked tasks in claim order are admitted while the
 * key has room for each (`:holders` + its place ≤ its limit), up to the
 * first that has none, as the loop of the other dialects does; the key's
 * count is written with what was admitted. The admitted rows are found by
 * primary key (`COALESCE` keeps `ready = 2` off the blocked index, which
 * would make the planner read every blocked task of every key).
 */
const SETTLE_PG = `WITH next AS (
    SELECT id, concurrency_limit,
           row_number() OVER (ORDER BY priority DESC, scheduled_at, id) AS n FROM (
      SELECT id, priority, scheduled_at, COALESCE(concurrency_limit, 1) AS concurrency_limit
      FROM async_tasks WHERE ready = 2 AND concurrency_key = :key
      ORDER BY priority DESC, scheduled_at, id LIMIT :room
    ) AS b
  ), fits AS (
    SELECT n.id FROM next AS n
    WHERE n.n <= COALESCE((SELECT min(f.n) - 1 FROM next AS f
                           WHERE :holders::int + f.n > f.concurrency_limit), :room::int)
  ), admitted AS (
    UPDATE async_tasks AS t SET ready = 1, permits = permits | 1, updated_at = now()
    FROM fits WHERE t.id = fits.id AND COALESCE(t.ready, 0) = 2
    RETURNING t.id
  )
  UPDATE async_concurrency
  SET holders = :holders::int + (SELECT count(*) FROM admitted), updated_at = now()
  WHERE concurrency_key = :key
  RETURNING holders - :holders::int AS admitted`

/**
 * Settles `keys` inside a transaction of ours: `freed` permits (per key) are
 * given back, then blocked tasks admitted while their key has room.
 * Resolves to how many tasks were admitted.
 */
export async function settleKeysOn(
  exec: Exec,
  dialect: Dialect,
  date: (d: Date) => unknown,
  keys: string[],
  freed: Map<string, number> = new Map(),
): Promise<number> {
  const at = date(new Date())
  if (keys.length === 0) return 0
  const { rows } = await exec(lockSql(dialect), { keys: [...new Set(keys)].sort() })
  const now = NOW[dialect]
  const index = isMysql(dialect) ? 'FORCE INDEX (async_tasks_blocked)' : ''
  const blocked = isMysql(dialect) ? `${BLOCKED} FOR UPDATE` : BLOCKED
  let admitted = 0
  for (const row of rows) {
    const key = String(row.concurrency_key)
    let holders = Math.max(0, Number(row.holders) - (freed.get(key) ?? 0))
    if (dialect === 'postgres') {
      const settled = await exec(SETTLE_PG, { key, holders, room: ROOM })
      admitted += Number(settled.rows[0]?.admitted ?? 0)
      continue
    }
    const next = await exec(blocked.replace('%INDEX%', index), { key, room: ROOM })
    const ids: number[] = []
    for (const task of next.rows) {
      if (holders + ids.length >= Number(task.concurrency_limit ?? 1)) break
      ids.push(Number(task.id))
    }
    if (ids.length > 0) {
      const { affected } = await exec(admitSql(dialect), { ids, now: at })
      holders += affected
      admitted += affected
    }
    await exec(COUNT.replace('%NOW%', now), { holders, key, now: at })
  }
  return admitted
}

/**
 * Keys that have blocked tasks and room for one: what the upkeep's sweep
 * admits. A key without a row yet (tasks written without an enqueue: a bulk
 * load, a restore) has room.
 */
export const SWEEP = `SELECT DISTINCT t.concurrency_key FROM async_tasks t
  LEFT JOIN async_concurrency c ON c.concurrency_key = t.concurrency_key
  WHERE t.ready = 2 AND COALESCE(c.holders, 0) < t.concurrency_limit
  LIMIT 500`

/**
 * The recount (upkeep, about once a minute): the keys with holders, locked
 * first, then each key's holders counted from the tasks that hold its
 * permit. Undoes what no transition saw: a task deleted by hand, or failed
 * by rescue (its worker lost too often).
 */
export function recountSql(d: Dialect): { lock: string; count: string } {
  const lock = `SELECT concurrency_key FROM async_concurrency WHERE holders > 0
    ORDER BY concurrency_key LIMIT 1000${d === 'sqlite' ? '' : ' FOR UPDATE'}`
  const keys =
    d === 'postgres' ? 'c.concurrency_key = ANY(:keys::text[])' : 'c.concurrency_key IN (:keys)'
  const alias = isMysql(d) ? 'async_concurrency c' : 'async_concurrency AS c'
  return {
    lock,
    count: `UPDATE ${alias} SET holders = (
        SELECT COUNT(*) FROM async_tasks t
        WHERE t.concurrency_key = c.concurrency_key AND (t.permits & 1) = 1
      ), updated_at = ${NOW[d]}
      WHERE ${keys}`,
  }
}
