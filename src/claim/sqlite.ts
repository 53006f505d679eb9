/**
 * SQLite claim, one statement. Atomic because a writing statement takes
 * SQLite's single write lock before it reads (the same as BEGIN IMMEDIATE),
 * so the inner SELECT and the UPDATE see one state that no other connection
 * can change in between; waiting writers queue on busy_timeout. RETURNING
 * needs SQLite 3.35 or later (the sqlite3 package bundles a newer one).
 */
import { QueryTypes } from 'sequelize'
import { clock } from './clock.js'
import { hydrate } from './hydrate.js'
import { QUEUE_CONDITION, queueFilter, type Claim, type QueueFilter } from './request.js'

const pick = (condition: string): string => `
  UPDATE async_tasks
  SET status = 'running', ready = NULL, locked_by = :workerId,
      locked_until = :until, started_at = :now, updated_at = :now
  WHERE id IN (
    SELECT id FROM async_tasks
    WHERE ready = 1 ${condition}
    ORDER BY priority DESC, scheduled_at, id
    LIMIT :limit
  )
  RETURNING *`

const CLAIM: Record<QueueFilter, string> = {
  queue: pick(QUEUE_CONDITION.queue),
  any: pick(QUEUE_CONDITION.any),
  except: pick(QUEUE_CONDITION.except),
}

export const claimSqlite: Claim = async (ctx, request) => {
  const c = clock(ctx, request.leaseMs)
  const rows = await ctx.sequelize.query<Record<string, unknown>>(CLAIM[queueFilter(request)], {
    type: QueryTypes.SELECT,
    replacements: { ...c.replacements, ...request },
  })
  return hydrate(ctx, rows)
}
