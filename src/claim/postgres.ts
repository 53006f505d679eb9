/**
 * PostgreSQL claim, one statement. Atomic because the CTE locks the rows it
 * picks (FOR UPDATE) and SKIP LOCKED passes over rows another worker has
 * locked in that instant, so concurrent claims pick disjoint rows without
 * waiting on each other; the UPDATE then marks exactly the locked rows.
 */
import { QueryTypes } from 'sequelize'
import { clock } from './clock.js'
import { hydrate } from './hydrate.js'
import { QUEUE_CONDITION, queueFilter, type Claim, type QueueFilter } from './request.js'

const pick = (condition: string): string => `
  WITH picked AS (
    SELECT id FROM async_tasks
    WHERE ready = 1 ${condition}
    ORDER BY priority DESC, scheduled_at, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
  )
  UPDATE async_tasks AS t
  SET status = 'running', ready = NULL, locked_by = :workerId,
      locked_until = %UNTIL%, started_at = now(), updated_at = now()
  FROM picked WHERE t.id = picked.id
  RETURNING t.*`

const CLAIM: Record<QueueFilter, string> = {
  queue: pick(QUEUE_CONDITION.queue),
  any: pick(QUEUE_CONDITION.any),
  except: pick(QUEUE_CONDITION.except),
}

export const claimPostgres: Claim = async (ctx, request) => {
  const c = clock(ctx, request.leaseMs)
  const sql = CLAIM[queueFilter(request)].replace('%UNTIL%', c.until)
  const rows = await ctx.sequelize.query<Record<string, unknown>>(sql, {
    type: QueryTypes.SELECT,
    replacements: { ...c.replacements, ...request },
  })
  return hydrate(ctx, rows)
}
