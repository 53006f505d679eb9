/**
 * The lease of a claimed task and the upkeep around it: promotion of
 * scheduled tasks that became due, heartbeats, rescue of tasks whose worker
 * died (lease ran out), and release on shutdown. Times come from the
 * database's clock (claim/clock.ts).
 */
import { QueryTypes } from 'sequelize'
import { affectedRows } from './affected-rows.js'
import type { Context } from './context.js'
import { clock } from './claim/clock.js'
import { WorkerLostError } from './errors.js'
import { serialize } from './serializer.js'

const PROMOTE_BATCH = 1000

// Scheduled tasks whose time came join the claimable set, a bounded batch per
// call so one call never holds locks on a huge backlog.
const PROMOTE: Record<Context['dialect'], string> = {
  postgres: `UPDATE async_tasks SET ready = 1 WHERE id IN (
    SELECT id FROM async_tasks WHERE ready = 0 AND scheduled_at <= %NOW%
    ORDER BY scheduled_at LIMIT :batch FOR UPDATE SKIP LOCKED)`,
  mysql: `UPDATE async_tasks SET ready = 1 WHERE ready = 0 AND scheduled_at <= %NOW%
    ORDER BY scheduled_at LIMIT :batch`,
  mariadb: '',
  sqlite: `UPDATE async_tasks SET ready = 1 WHERE id IN (
    SELECT id FROM async_tasks WHERE ready = 0 AND scheduled_at <= %NOW%
    ORDER BY scheduled_at LIMIT :batch)`,
}
PROMOTE.mariadb = PROMOTE.mysql

const FAIL_LOST = `
  UPDATE async_tasks
  SET status = 'failed', success = :false, ready = NULL, locked_by = NULL, locked_until = NULL,
      interruptions = interruptions + 1, attempts = attempts + 1,
      error = :error, result = :result, finished_at = %NOW%, updated_at = %NOW%
  WHERE status = 'running' AND locked_until < %NOW% AND interruptions + 1 >= :maxInterruptions`

const REQUEUE_LOST = `
  UPDATE async_tasks
  SET status = 'pending', ready = 1, locked_by = NULL, locked_until = NULL,
      interruptions = interruptions + 1, updated_at = %NOW%
  WHERE status = 'running' AND locked_until < %NOW%`

const HEARTBEAT = `
  UPDATE async_tasks SET locked_until = %UNTIL%
  WHERE status = 'running' AND locked_by = :workerId`

const RELEASE = `
  UPDATE async_tasks
  SET status = 'pending', ready = 1, locked_by = NULL, locked_until = NULL, updated_at = %NOW%
  WHERE status = 'running' AND locked_by = :workerId AND id IN (:ids)`

async function run(
  ctx: Context,
  sql: string,
  replacements: Record<string, unknown>,
  leaseMs = 0,
): Promise<number> {
  const c = clock(ctx, leaseMs)
  const text = sql.replaceAll('%NOW%', c.now).replaceAll('%UNTIL%', c.until)
  const [, meta] = await ctx.sequelize.query(text, {
    type: QueryTypes.UPDATE,
    replacements: { ...c.replacements, ...replacements },
  })
  return affectedRows(meta)
}

/** Makes scheduled tasks whose time has come claimable; returns how many. */
export function promoteDue(ctx: Context): Promise<number> {
  return run(ctx, PROMOTE[ctx.dialect], { batch: PROMOTE_BATCH })
}

/**
 * Tasks whose lease ran out lost their worker (killed, or cut off from the
 * database). They run again, unless they did so too often: a task that kills
 * its worker every time must not take the workers down in a loop.
 */
export async function rescueLost(ctx: Context): Promise<{ requeued: number; failed: number }> {
  const max = ctx.settings.maxInterruptions
  const lost = new WorkerLostError(
    `The worker running this task stopped (killed, crashed or cut off from the database) ${max} time(s); it is not retried again. Look for what makes the worker die (memory, process.exit, native crashes).`,
  )
  const failed = await run(ctx, FAIL_LOST, {
    false: false,
    maxInterruptions: max,
    error: `${lost.name}: ${lost.message}`,
    result: serialize(lost),
  })
  const requeued = await run(ctx, REQUEUE_LOST, {})
  return { requeued, failed }
}

/** Extends the lease of every task this worker runs. */
export function heartbeat(ctx: Context, workerId: string, leaseMs: number): Promise<number> {
  return run(ctx, HEARTBEAT, { workerId }, leaseMs)
}

/** Hands unfinished tasks back to other workers (shutdown); not a failure. */
export function release(ctx: Context, workerId: string, ids: number[]): Promise<number> {
  if (ids.length === 0) return Promise.resolve(0)
  return run(ctx, RELEASE, { workerId, ids })
}
