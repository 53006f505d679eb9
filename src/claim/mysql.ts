/**
 * MySQL 8 / MariaDB 10.6+ claim: one READ COMMITTED transaction that locks
 * the picked rows with SELECT … FOR UPDATE SKIP LOCKED, then marks them by id.
 * Atomic because the row locks are held until commit and SKIP LOCKED makes a
 * concurrent claim pass over them instead of waiting. Sequelize drops
 * `skipLocked` on this dialect, hence the SQL. FORCE INDEX keeps the ORDER BY
 * served by the index: if the server sorted instead, it would lock every
 * candidate row and a second worker would see nothing. READ COMMITTED takes
 * no gap locks, so enqueuers never wait on a claim.
 */
import { QueryTypes, Transaction } from 'sequelize'
import { clock } from './clock.js'
import { QUEUE_CONDITION, queueFilter, type Claim, type QueueFilter } from './request.js'

const pick = (index: string, condition: string): string => `
  SELECT id FROM async_tasks FORCE INDEX (${index})
  WHERE ready = 1 ${condition}
  ORDER BY priority DESC, scheduled_at, id
  LIMIT :limit
  FOR UPDATE SKIP LOCKED`

const PICK: Record<QueueFilter, string> = {
  queue: pick('async_tasks_claim_queue', QUEUE_CONDITION.queue),
  any: pick('async_tasks_claim_any', QUEUE_CONDITION.any),
  except: pick('async_tasks_claim_any', QUEUE_CONDITION.except),
}

const MARK = `
  UPDATE async_tasks
  SET status = 'running', ready = NULL, locked_by = :workerId,
      locked_until = %UNTIL%, started_at = NOW(3), updated_at = NOW(3)
  WHERE id IN (:ids)`

export const claimMysql: Claim = async (ctx, request) => {
  const { sequelize, AsyncTask } = ctx
  return sequelize.transaction(
    { isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED },
    async (transaction) => {
      const picked = await sequelize.query<{ id: number }>(PICK[queueFilter(request)], {
        type: QueryTypes.SELECT,
        replacements: { queue: request.queue, exclude: request.exclude, limit: request.limit },
        transaction,
      })
      if (picked.length === 0) return []
      const ids = picked.map((row) => row.id)
      const c = clock(ctx, request.leaseMs)
      await sequelize.query(MARK.replace('%UNTIL%', c.until), {
        type: QueryTypes.UPDATE,
        replacements: { ...c.replacements, workerId: request.workerId, ids },
        transaction,
      })
      return AsyncTask.findAll({ where: { id: ids }, transaction })
    },
  )
}
