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
 * change of the count takes the key's row lock first, in a statement of its
 * own, and only then reads the blocked tasks: in READ COMMITTED a later
 * statement sees everything committed before the lock was granted, so a
 * task blocked by a concurrent enqueue is never missed (one statement would
 * read a snapshot taken before it waited for the lock). Keys are locked in
 * order, so two transactions never wait on each other's keys.
 *
 * An outcome does not change the count when a blocked task of its key takes
 * its permit (the hand-off: handOffCtesPg, handOffOn); only a permit nobody
 * blocked could take goes back to the count, under the lock (settleKeysOn).
 * So the outcomes of a busy key do not queue behind its row lock.
 */
import type { Exec, Row } from './connection.js'
import { inList, isMysql, later, NOW, type Dialect } from './dialect.js'
import { shaped } from './sql.js'

/** Rows of `async_concurrency` for keys first seen; an existing row is left alone (and unlocked). */
export function ensureKeysSql(dialect: Dialect, n: number): string {
  const rows = Array.from({ length: n }, (_, i) => `(:k${i}, 0, ${NOW[dialect]})`).join(', ')
  const insert = `INSERT INTO async_concurrency (concurrency_key, holders, updated_at) VALUES ${rows}`
  return isMysql(dialect)
    ? insert.replace('INSERT', 'INSERT IGNORE')
    : `${insert} ON CONFLICT DO NOTHING`
}

/**
 * The blocked tasks of one key, found by a seek in the blocked index. On
 * PostgreSQL `ready = 2` alone is not enough: the index is partial on it,
 * so the planner drops the term as implied and, without a skip scan
 * (before PostgreSQL 18), reads the index from its first entry up to the
 * key — about 720 pages per lookup with 150,000 tasks blocked on 100 keys
 * (`EXPLAIN (ANALYZE, BUFFERS)`), for every hand-off, admission and sweep.
 * The row comparisons bound the scan to the key (4 pages); the equalities
 * keep the index's order usable for `ORDER BY priority DESC, …`.
 */
export function blockedOf(d: Dialect, key: string, alias = ''): string {
  const ready = `${alias}ready`
  const column = `${alias}concurrency_key`
  const plain = `${ready} = 2 AND ${column} = ${key}`
  if (d !== 'postgres') return plain
  return `${plain} AND (${ready}, ${column}) >= (2, ${key}) AND (${ready}, ${column}) <= (2, ${key})`
}

const lockSql = (d: Dialect): string =>
  `SELECT concurrency_key, holders FROM async_concurrency
   WHERE ${d === 'postgres' ? 'concurrency_key = ANY(:keys::text[])' : 'concurrency_key IN (:keys)'}
   ORDER BY concurrency_key${d === 'sqlite' ? '' : ' FOR UPDATE'}`

/** The next blocked tasks of a key, in claim order (the blocked index). */
const BLOCKED = `SELECT id, concurrency_limit FROM async_tasks %INDEX%
  WHERE ready = 2 AND concurrency_key = :key
  ORDER BY priority DESC, scheduled_at, id LIMIT :room`

const admitSql = (d: Dialect): string => shaped(`admit:${d}`, () => admitText(d))

// SQLite: `+ready` keeps the test off the blocked index, which SQLite
// would otherwise read whole instead of finding the ids by primary key.
const admitText = (d: Dialect): string =>
  `UPDATE async_tasks SET ready = 1, permits = permits | 1, updated_at = ${NOW[d]}
   WHERE ${inList(d, 'id', 'ids')} AND ${d === 'sqlite' ? '+ready' : 'ready'} = 2`

const COUNT = `UPDATE async_concurrency SET holders = :holders, updated_at = %NOW%
  WHERE concurrency_key = :key`

/** Keys per hand-off statement (SQLite, MySQL/MariaDB; 4 parameters each). */
const HAND_OFF_KEYS = 100

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
      FROM async_tasks WHERE ${blockedOf('postgres', ':key')}
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
 * PostgreSQL: a worker's keyed outcomes hand their permits on in the
 * statement that writes them (`done` from completeCtes(true)), beside the
 * claim of its next tasks (`claimed`), as one statement that commits on
 * its own.
 *
 * A freed permit goes straight to the next blocked task of its key, in
 * claim order, without the key's lock: the key's count does not change
 * (one holder ends, one starts), so nothing an admission reads under the
 * lock changes either. Blocked tasks are picked `FOR UPDATE SKIP LOCKED`:
 * two hand-offs of one key never pick the same task, and a task admitted
 * by another statement meanwhile is re-checked on its newest version, no
 * longer blocked, and skipped. A task locked by someone else is skipped,
 * never waited for: the snapshot may still show a task that was handed off
 * a moment ago as blocked, and waiting for its outcome's statement could
 * deadlock. A task takes a handed permit only if its own limit allows the
 * key's count (tasks of a key should share a limit: docs/flow-control.md).
 *
 * So a busy or hot key hands its permits on and its row is never touched,
 * and its outcomes do not queue behind each other. A permit no blocked
 * task could take comes back in `rest` (per key, as JSON): the caller gives
 * it back to the key's count with settleKeysOn(), under the lock, reading
 * the blocked tasks after it (a task blocked by a concurrent enqueue is
 * seen there). Until then the count is one too high: a key admits a moment
 * later, never one task too many (and if the worker dies in between, the
 * upkeep's recount corrects it within a minute).
 *
 * A task handed a permit is taken by this worker straight away (`take`)
 * while the claim left it room and the task is in a queue it claims from
 * (the permit its own task just freed, so a hot key's tasks do not wait for
 * another claim); the others become due (`ready = 1`).
 */
export function handOffCtesPg(claimable: string): string {
  const order = 'ORDER BY priority DESC, scheduled_at, id'
  return `freed AS (
    SELECT freed_key AS concurrency_key, count(*)::int AS n, max(COALESCE(key_limit, 1)) AS lim
    FROM done WHERE freed_key IS NOT NULL AND (freed_permits & 1) = 1 GROUP BY freed_key
  ), handed AS (
    SELECT b.id, f.concurrency_key, (true ${claimable}) AS eligible, b.priority, b.scheduled_at
    FROM freed AS f
    LEFT JOIN async_concurrency AS c ON c.concurrency_key = f.concurrency_key
    CROSS JOIN LATERAL (
      SELECT id, queue, priority, scheduled_at FROM async_tasks
      WHERE ${blockedOf('postgres', 'f.concurrency_key')}
        AND COALESCE(concurrency_limit, 1) >= GREATEST(f.lim, COALESCE(c.holders, 0))
      ${order} LIMIT f.n FOR UPDATE SKIP LOCKED
    ) AS b
  ), ranked AS (
    SELECT id, eligible AND row_number() OVER (PARTITION BY eligible ${order})
                             <= :limit - (SELECT count(*) FROM claimed) AS take
    FROM handed
  ), admitted AS (
    UPDATE async_tasks AS t SET
      permits = t.permits | 1,
      ready = CASE WHEN r.take THEN NULL ELSE 1 END,
      status = CASE WHEN r.take THEN 'running' ELSE t.status END,
      locked_by = CASE WHEN r.take THEN :workerId ELSE t.locked_by END,
      locked_until = CASE WHEN r.take THEN ${later('postgres', 'lease')} ELSE t.locked_until END,
      unique_hold = CASE WHEN r.take AND t.unique_until IS DISTINCT FROM 'finished' THEN NULL ELSE t.unique_hold END,
      started_at = CASE WHEN r.take THEN now() ELSE t.started_at END,
      updated_at = now()
    FROM ranked AS r WHERE t.id = r.id
    RETURNING t.*
  ), taken AS (
    SELECT * FROM admitted WHERE ready IS NULL
  ), rest AS (
    SELECT json_object_agg(f.concurrency_key, f.n - h.n) AS keys FROM freed AS f
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM handed WHERE concurrency_key = f.concurrency_key) AS h
    WHERE f.n > h.n
  )`
}

/** The next blocked tasks of a key a handed permit may go to (see handOffCtesPg). */
const handOffPick = (d: Dialect): string =>
  shaped(`hand-off:${d}`, () => handOffPickText(d, 'id, queue'))

const handOffPickText = (d: Dialect, columns: string, i = ''): string =>
  `SELECT ${columns} FROM async_tasks${isMysql(d) ? ' FORCE INDEX (async_tasks_blocked)' : ''}
   WHERE ${blockedOf(d, `:key${i}`)}
     AND COALESCE(concurrency_limit, 1) >= ${d === 'sqlite' ? 'MAX' : 'GREATEST'}(:lim${i}, COALESCE(
       (SELECT holders FROM async_concurrency WHERE concurrency_key = :key${i}), 0))
   ORDER BY priority DESC, scheduled_at, id LIMIT :n${i}${d === 'sqlite' ? '' : ' FOR UPDATE SKIP LOCKED'}`

/**
 * SQLite: handOffPick() of `keys` keys and the admission as one statement
 * (it holds the write lock as it reads, so what the picks saw blocked is
 * still blocked): a batch of outcomes over many keys is one round trip, not
 * one per key. No `ready = 2` outside the picks: SQLite would read every
 * blocked task through the blocked index to test it (150,000 blocked tasks
 * in the bench: 29 tasks/s) instead of finding the picked ones by primary
 * key.
 */
const handOffSqlite = (keys: number): string =>
  shaped(`hand-off:sqlite:${keys}`, () => {
    const picks = Array.from(
      { length: keys },
      (_, i) => `SELECT id FROM (${handOffPickText('sqlite', 'id', String(i))})`,
    )
    return `UPDATE async_tasks SET ready = 1, permits = permits | 1, updated_at = :now
  WHERE id IN (${picks.join(' UNION ALL ')})
  RETURNING id, queue, concurrency_key`
  })

/**
 * MySQL/MariaDB: handOffPick() of `keys` keys as one SELECT, each pick a
 * parenthesized part of a UNION ALL with its own lock clause (the rows are
 * locked as each part reads them, as one pick per key would lock them), so
 * a batch of outcomes over many keys picks in one round trip and admits in
 * one more, not two per key. A server whose parser refuses the form
 * (errors 1064, 1221) turns it off for the process: handOffOn() falls back
 * to a pick per key; the failed statement leaves the transaction as it was.
 */
const handOffPickMysql = (d: Dialect, keys: number): string =>
  shaped(`hand-off:${d}:${keys}`, () =>
    Array.from(
      { length: keys },
      // `pick` says whose key a row is for (the stored key may differ in case
      // from the one asked for, which a case-insensitive collation matches).
      (_, i) => `(${handOffPickText(d, `id, queue, ${i} AS pick`, String(i))})`,
    ).join(' UNION ALL '),
  )

let unionPicks = true
const refusedUnion = (err: unknown): boolean => {
  const errno = (err as { errno?: unknown }).errno
  return errno === 1064 || errno === 1221
}

/**
 * The hand-off of handOffCtesPg() as statements, inside a transaction of
 * ours (MySQL/MariaDB, SQLite, and PostgreSQL when the step also holds a
 * queue's lock): each freed permit of `freed` (per key, with the key's
 * limit) goes to the next blocked task of its key, made due (the claim
 * after it, in the same transaction, sees it). No key lock is taken: the
 * count does not change. Resolves to the tasks made due (the step tells
 * the workers of their queues about those its claim did not take) and the
 * permits no blocked task took, per key, for settleKeysOn() in a
 * transaction of its own after this one commits (taking a key's lock here,
 * while holding the rows handed off, could deadlock with an admission that
 * holds the lock and reads them).
 */
export async function handOffOn(
  exec: Exec,
  dialect: Dialect,
  date: (d: Date) => unknown,
  freed: Map<string, { n: number; lim: number }>,
): Promise<HandedOff> {
  const rest = new Map<string, number>()
  const handed: HandedOff['handed'] = []
  const at = date(new Date())
  const entries = [...freed]
  if (dialect === 'sqlite') {
    // One writer at a time: every key's pick and the write in one statement.
    const took = new Array<number>(entries.length).fill(0)
    for (let start = 0; start < entries.length; start += HAND_OFF_KEYS) {
      const chunk = entries.slice(start, start + HAND_OFF_KEYS)
      const { rows } = await exec(handOffSqlite(chunk.length), keyValues(chunk, { now: at }))
      // SQLite compares keys exactly: a row's key names its entry.
      const index = new Map(chunk.map(([key], i) => [key, start + i]))
      for (const row of rows) {
        handed.push({ id: Number(row.id), queue: String(row.queue) })
        took[index.get(String(row.concurrency_key)) as number]! += 1
      }
    }
    return { rest: untaken(entries, took), handed }
  }
  if (isMysql(dialect) && unionPicks && freed.size > 1) {
    let picked: Row[] | null = []
    const took = new Array<number>(entries.length).fill(0)
    for (let start = 0; start < entries.length && picked; start += HAND_OFF_KEYS) {
      const chunk = entries.slice(start, start + HAND_OFF_KEYS)
      try {
        const { rows } = await exec(handOffPickMysql(dialect, chunk.length), keyValues(chunk))
        for (const row of rows) took[start + Number(row.pick)]! += 1
        picked.push(...rows)
      } catch (err) {
        if (!refusedUnion(err) || start > 0) throw err
        unionPicks = false
        picked = null
      }
    }
    if (picked) {
      const ids = picked.map((row) => Number(row.id))
      if (ids.length > 0) await exec(admitSql(dialect), { ids, now: at })
      for (const row of picked) handed.push({ id: Number(row.id), queue: String(row.queue) })
      return { rest: untaken(entries, took), handed }
    }
  }
  // No key lock and no wait (SKIP LOCKED): the order of the keys does not matter.
  for (const [key, { n, lim }] of freed) {
    const { rows } = await exec(handOffPick(dialect), { key, n, lim })
    const ids = rows.map((row) => Number(row.id))
    if (ids.length > 0) await exec(admitSql(dialect), { ids, now: at })
    for (const row of rows) handed.push({ id: Number(row.id), queue: String(row.queue) })
    if (ids.length < n) rest.set(key, n - ids.length)
  }
  return { rest, handed }
}

type Freed = [key: string, freed: { n: number; lim: number }]

/** The parameters of a one-statement hand-off over `chunk`'s keys: `:key<i>`, `:lim<i>`, `:n<i>`. */
function keyValues(chunk: Freed[], values: Record<string, unknown> = {}): Record<string, unknown> {
  chunk.forEach(([key, { n, lim }], i) =>
    Object.assign(values, { [`key${i}`]: key, [`lim${i}`]: lim, [`n${i}`]: n }),
  )
  return values
}

/** The freed permits no blocked task took, per key (`took[i]`: tasks handed `entries[i]`'s). */
function untaken(entries: Freed[], took: number[]): Map<string, number> {
  const rest = new Map<string, number>()
  entries.forEach(([key, { n }], i) => {
    if ((took[i] as number) < n) rest.set(key, n - (took[i] as number))
  })
  return rest
}

/** What handOffOn() did: the permits nobody took (per key), and the tasks made due. */
export interface HandedOff {
  rest: Map<string, number>
  handed: Array<{ id: number; queue: string }>
}

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

/** Keys the sweep looks at per call; the next call goes on after the last. */
export const SWEEP_KEYS = 500

/**
 * The upkeep's sweep (every worker, about once a second): keys that have
 * blocked tasks and room for the first of them, in claim order — the
 * task an admission would take first (settleKeysOn() admits in claim order
 * up to the first task that does not fit), so a key whose first task does
 * not fit has nothing to admit. A key without a row yet (tasks written
 * without an enqueue: a bulk load, a restore) has room.
 *
 * PostgreSQL and SQLite walk the keys as a loose index scan: each step of
 * the recursive CTE is one seek in the blocked index for the next key
 * after the last, so a call costs one seek per key however many tasks each
 * key has blocked; MySQL/MariaDB read the index once, index only. Testing
 * every blocked task against its key's count, as this did before, read
 * every blocked row: with 150,000 tasks blocked on 100 full keys, 0.6 s per
 * sweep on SQLite (on the one connection the worker's own steps use; the
 * bench's keyed SQLite drain spent most of its time waiting on it), 0.23 s
 * on MariaDB, 28 ms on PostgreSQL; now 7 ms, 25 ms, 15 ms. At most
 * SWEEP_KEYS keys per call, from after `:after` (from the first key when
 * it is absent); each row says whether its key has room.
 */
export function sweepSql(d: Dialect, from: boolean): string {
  return shaped(`sweep:${d}:${from ? 'after' : 'first'}`, () => {
    const force = isMysql(d) ? ' FORCE INDEX (async_tasks_blocked)' : ''
    const room = (key: string): string => `CASE WHEN COALESCE(c.holders, 0) < (
        SELECT COALESCE(h.concurrency_limit, 1) FROM async_tasks h${force}
        WHERE ${blockedOf(d, key, 'h.')}
        ORDER BY h.priority DESC, h.scheduled_at, h.id LIMIT 1
      ) THEN 1 ELSE 0 END AS room`
    if (isMysql(d)) {
      // MariaDB reads a recursive CTE's correlated seek as a scan (1 s for
      // the case above); a GROUP BY over the index reads it once, index
      // only (25 ms).
      return `SELECT w.concurrency_key, ${room('w.concurrency_key')}
      FROM (SELECT concurrency_key FROM async_tasks${force}
            WHERE ready = 2${from ? ' AND concurrency_key > :after' : ''}
            GROUP BY ready, concurrency_key ORDER BY ready, concurrency_key LIMIT ${SWEEP_KEYS}) AS w
      LEFT JOIN async_concurrency c ON c.concurrency_key = w.concurrency_key
      ORDER BY w.concurrency_key`
    }
    const next = (after: string | null): string => {
      // PostgreSQL: the row comparison bounds the scan (see blockedOf).
      const bound =
        after === null
          ? ''
          : ` AND b.concurrency_key > ${after}${d === 'postgres' ? ` AND (b.ready, b.concurrency_key) > (2, ${after})` : ''}`
      return `(SELECT b.concurrency_key FROM async_tasks b WHERE b.ready = 2${bound}
        ORDER BY b.ready, b.concurrency_key LIMIT 1)`
    }
    return `WITH RECURSIVE k(walked, n) AS (
      SELECT ${next(from ? ':after' : null)}, 1
      UNION ALL
      SELECT ${next('k.walked')}, k.n + 1 FROM k WHERE k.walked IS NOT NULL AND k.n < ${SWEEP_KEYS}
    )
    SELECT k.walked AS concurrency_key, ${room('k.walked')}
    FROM k LEFT JOIN async_concurrency c ON c.concurrency_key = k.walked
    WHERE k.walked IS NOT NULL ORDER BY k.n`
  })
}

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
