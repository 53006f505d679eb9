/**
 * Dependencies (`after`): a task that runs only once its parents have all
 * succeeded. It waits as pending with `ready = 3`, outside the claim index,
 * the promotion and the admission. Three transitions own it:
 *
 * - link (enqueue): the parents are locked and read first, so a parent
 *   cannot end between the read and the link without seeing the link (its
 *   outcome write waits for the lock, then finds `has_dependents`); then
 *   the child is inserted waiting, one `async_dependencies` row per parent,
 *   and the child is decided at once (its parents may have ended already).
 *   A cycle cannot be built: parents exist before their children.
 * - decide: the waiting children are locked, then their parents read. All
 *   succeeded: the child becomes due (or scheduled, or blocked behind its
 *   concurrency key, as an enqueue would have made it). One failed for good,
 *   was cancelled or is gone: the child is cancelled with a DependencyError
 *   naming that parent, and its own children are decided in turn.
 * - sweep (upkeep): waiting tasks none of whose parents is pending or
 *   running are decided; this catches an outcome whose worker died between
 *   its write and the decision, and parents ended by rescue.
 *
 * Lock order is child, then parent rows read without a lock; the outcome
 * write locks a parent and decides after its commit, so the two never wait
 * on each other in a cycle.
 */
import { DependencyError, EnqueueError } from '../errors.js'
import { serialize } from '../serializer.js'
import type { Exec, Row } from './connection.js'
import { inList, isMysql, NOW, type Dialect } from './dialect.js'
import { strOrNull } from './row.js'

const text = (v: unknown): string => strOrNull(v) ?? ''

const lock = (d: Dialect): string => (d === 'sqlite' ? '' : ' FOR UPDATE')

/** A child that became due (or scheduled, or blocked): who to wake or admit. */
export interface Released {
  id: number
  queue: string
  concurrencyKey: string | null
  ready: number
}

export interface Decided {
  released: Released[]
  cancelled: number[]
}

/** Locks and reads the parents an enqueue names; refuses the enqueue when one is missing. */
export async function lockParentsOn(
  exec: Exec,
  dialect: Dialect,
  parents: number[],
): Promise<void> {
  const { rows } = await exec(
    `SELECT id FROM async_tasks WHERE ${inList(dialect, 'id', 'ids')}${lock(dialect)}`,
    { ids: parents },
  )
  const found = new Set(rows.map((row) => Number(row.id)))
  const missing = parents.filter((id) => !found.has(id))
  if (missing.length > 0) {
    throw new EnqueueError(
      `Option after names task(s) ${missing.join(', ')}, which do not exist (deleted or pruned). Enqueue the parents first, in the same transaction if need be.`,
    )
  }
}

/** Links a waiting child to its parents (in `after` order) and marks the parents. */
export async function linkOn(
  exec: Exec,
  dialect: Dialect,
  child: number,
  parents: number[],
): Promise<void> {
  const values: Record<string, unknown> = { child }
  const rows = parents.map((parent, i) => {
    values[`p${i}`] = parent
    values[`n${i}`] = i
    return `(:child, :p${i}, :n${i})`
  })
  await exec(
    `INSERT INTO async_dependencies (task_id, parent_id, position) VALUES ${rows.join(', ')}`,
    values,
  )
  await exec(
    `UPDATE async_tasks SET has_dependents = 1 WHERE ${inList(dialect, 'id', 'ids')} AND has_dependents = 0`,
    { ids: parents },
  )
}

/** The waiting children of `parents`. */
export const childrenSql = (d: Dialect): string =>
  `SELECT DISTINCT task_id FROM async_dependencies WHERE ${inList(d, 'parent_id', 'ids')}`

/** Waiting tasks none of whose parents is pending or running any more. */
export const SWEEP_WAITING = `SELECT t.id FROM async_tasks t WHERE t.ready = 3 AND NOT EXISTS (
    SELECT 1 FROM async_dependencies d JOIN async_tasks p ON p.id = d.parent_id
    WHERE d.task_id = t.id AND p.status IN ('pending', 'running'))
  ORDER BY t.id LIMIT :batch`

/** The stored results of a task's parents, in `after` order. */
export const PARENT_RESULTS = `SELECT d.parent_id, d.position, p.status, p.result
  FROM async_dependencies d LEFT JOIN async_tasks p ON p.id = d.parent_id
  WHERE d.task_id = :id ORDER BY d.position`

function label(row: Row): string {
  const target =
    row.object_id === null
      ? text(row.object_type)
      : `${text(row.object_type)}(${text(row.object_id)})`
  return `${target}#${text(row.action)}`
}

/** Why a child cannot run, from its first parent (in `after` order) that ended badly. */
function blocker(parents: Row[]): string | null {
  for (const p of parents) {
    const id = String(p.parent_id)
    if (p.status === null || p.status === undefined)
      return `task ${id}, which it runs after, was deleted before it succeeded`
    if (p.status === 'failed')
      return `task ${id} (${label(p)}), which it runs after, failed${p.error ? `: ${text(p.error)}` : ''}`
    if (p.status === 'cancelled')
      return `task ${id} (${label(p)}), which it runs after, was cancelled`
  }
  return null
}

/**
 * Decides waiting children (and, after a cancel, their children in turn)
 * on one connection, inside a transaction of the caller's.
 */
export async function decideOn(
  exec: Exec,
  dialect: Dialect,
  now: unknown,
  ids: number[],
): Promise<Decided> {
  const decided: Decided = { released: [], cancelled: [] }
  let next = [...new Set(ids)]
  for (let depth = 0; next.length > 0 && depth < 1000; depth++) {
    const { rows: children } = await exec(
      `SELECT id, queue, concurrency_key, has_dependents FROM async_tasks
       WHERE ${inList(dialect, 'id', 'ids')} AND ready = 3 ORDER BY id${lock(dialect)}`,
      { ids: next },
    )
    if (children.length === 0) break
    const { rows: parents } = await exec(
      `SELECT d.task_id, d.parent_id, d.position, p.status, p.error, p.object_type, p.object_id, p.action
       FROM async_dependencies d LEFT JOIN async_tasks p ON p.id = d.parent_id
       WHERE ${inList(dialect, 'd.task_id', 'ids')} ORDER BY d.task_id, d.position`,
      { ids: children.map((c) => c.id) },
    )
    const byChild = new Map<number, Row[]>()
    for (const p of parents) {
      const list = byChild.get(Number(p.task_id)) ?? []
      list.push(p)
      byChild.set(Number(p.task_id), list)
    }
    const ready: Row[] = []
    const cancelled: number[] = []
    for (const child of children) {
      const mine = byChild.get(Number(child.id)) ?? []
      const why = blocker(mine)
      if (why !== null) {
        const err = new DependencyError(`Cancelled: ${why}.`)
        err.stack = `${err.name}: ${err.message}`
        await exec(
          `UPDATE async_tasks SET status = 'cancelled', ready = NULL, unique_hold = NULL, permits = 0,
             error = :error, result = :result, finished_at = ${NOW[dialect]}, updated_at = ${NOW[dialect]}
           WHERE id = :id AND ready = 3`,
          {
            id: child.id,
            error: `${err.name}: ${err.message}`.slice(0, 4000),
            result: serialize(err),
            now,
          },
        )
        cancelled.push(Number(child.id))
      } else if (mine.every((p) => p.status === 'succeeded')) {
        ready.push(child)
      }
    }
    if (ready.length > 0) {
      const readyIds = ready.map((c) => c.id)
      let { rows } = await exec(releaseSql(dialect), { ids: readyIds, now })
      if (isMysql(dialect)) rows = (await exec(readyOfSql, { ids: readyIds })).rows
      const readyOf = new Map(rows.map((row) => [Number(row.id), Number(row.ready)]))
      for (const child of ready) {
        decided.released.push({
          id: Number(child.id),
          queue: String(child.queue),
          concurrencyKey: child.concurrency_key === null ? null : text(child.concurrency_key),
          ready: readyOf.get(Number(child.id)) ?? 1,
        })
      }
    }
    // Workers of other processes learn of due tasks as they learn of inserts.
    if (dialect === 'postgres' && decided.released.some((r) => r.ready === 1))
      await exec("SELECT pg_notify('sequelize_async', '')", {})
    decided.cancelled.push(...cancelled)
    const withChildren = children
      .filter((c) => cancelled.includes(Number(c.id)) && Number(c.has_dependents) === 1)
      .map((c) => Number(c.id))
    if (withChildren.length === 0) break
    const { rows: grand } = await exec(childrenSql(dialect), { ids: withChildren })
    next = grand.map((row) => Number(row.task_id))
  }
  return decided
}

/**
 * Waiting → due, scheduled or blocked, as enqueue would have made it; the
 * new `ready` comes back (MySQL/MariaDB read it after, in the same
 * transaction).
 */
function releaseSql(d: Dialect): string {
  const set = `UPDATE async_tasks SET ready = CASE WHEN scheduled_at > ${NOW[d]} THEN 0
      WHEN concurrency_key IS NULL THEN 1 ELSE 2 END, updated_at = ${NOW[d]}
    WHERE ${inList(d, 'id', 'ids')} AND ready = 3`
  if (isMysql(d)) return set
  return `${set} RETURNING id, ready`
}

/** MySQL/MariaDB: the ready of released children, read after releaseSql. */
const readyOfSql = `SELECT id, ready FROM async_tasks WHERE id IN (:ids)`
