/**
 * Batched completion: the successes that finish while one write is in flight
 * are recorded together by the next single statement (group commit). An idle
 * worker writes at once, so nothing waits; a busy one pays one round trip and
 * one commit per batch instead of per task. Opt in with the worker option
 * `batchCompletions`.
 *
 * The write is guarded by the lease like the per-task one (outcome.ts): only
 * rows still `running` under this worker's id are finished; the rest were
 * taken over and are reported as lost.
 */
import { QueryTypes, Transaction } from 'sequelize'
import type { Context } from './context.js'
import { clock, sqlDate } from './claim/clock.js'

export interface Success {
  id: number
  resultJson: string
  /** When it really started, if later than its claim (prefetch). */
  startedAt?: Date
}

const SET = `status = 'succeeded', success = :true, ready = NULL, locked_by = NULL,
  locked_until = NULL, attempts = attempts + 1, finished_at = %NOW%, updated_at = %NOW%`

/** `CASE id WHEN :id0 THEN :r0 … END`: placeholder names only, values travel as replacements. */
function resultCase(batch: Success[], replacements: Record<string, unknown>): string {
  const arms = batch.map((s, i) => {
    replacements[`id${i}`] = s.id
    replacements[`r${i}`] = s.resultJson
    return `WHEN :id${i} THEN :r${i}`
  })
  return `CASE id ${arms.join(' ')} END`
}

/** `, started_at = CASE id WHEN :sid0 THEN :s0 … ELSE started_at END` for late starters. */
function startedCase(
  ctx: Context,
  batch: Success[],
  replacements: Record<string, unknown>,
): string {
  const arms: string[] = []
  batch.forEach((s, i) => {
    if (!s.startedAt) return
    replacements[`sid${i}`] = s.id
    replacements[`s${i}`] = sqlDate(ctx, s.startedAt)
    arms.push(`WHEN :sid${i} THEN :s${i}`)
  })
  return arms.length ? `, started_at = CASE id ${arms.join(' ')} ELSE started_at END` : ''
}

/** Finishes a batch of successes; resolves to the ids this worker still owned. */
export async function finishBatch(
  ctx: Context,
  workerId: string,
  batch: Success[],
): Promise<Set<number>> {
  const c = clock(ctx, 0)
  const replacements: Record<string, unknown> = { ...c.replacements, true: true, workerId }
  const set = SET.replaceAll('%NOW%', c.now)
  if (ctx.dialect === 'postgres' || ctx.dialect === 'sqlite') {
    replacements.ids = batch.map((s) => s.id)
    const rows = await ctx.sequelize.query<{ id: number | string }>(
      `UPDATE async_tasks SET ${set}, result = ${resultCase(batch, replacements)}${startedCase(ctx, batch, replacements)}
       WHERE id IN (:ids) AND locked_by = :workerId AND status = 'running'
       RETURNING id`,
      { type: QueryTypes.SELECT, replacements },
    )
    return new Set(rows.map((row) => Number(row.id)))
  }
  // MySQL/MariaDB have no RETURNING: lock the rows still ours, then finish them.
  return ctx.sequelize.transaction(
    { isolationLevel: Transaction.ISOLATION_LEVELS.READ_COMMITTED },
    async (transaction) => {
      const owned = await ctx.sequelize.query<{ id: number }>(
        `SELECT id FROM async_tasks WHERE id IN (:ids) AND locked_by = :workerId AND status = 'running' FOR UPDATE`,
        {
          type: QueryTypes.SELECT,
          replacements: { ids: batch.map((s) => s.id), workerId },
          transaction,
        },
      )
      const ids = new Set(owned.map((row) => Number(row.id)))
      const mine = batch.filter((s) => ids.has(s.id))
      if (mine.length > 0) {
        replacements.ids = mine.map((s) => s.id)
        await ctx.sequelize.query(
          `UPDATE async_tasks SET ${set}, result = ${resultCase(mine, replacements)}${startedCase(ctx, mine, replacements)} WHERE id IN (:ids)`,
          { type: QueryTypes.UPDATE, replacements, transaction },
        )
      }
      return ids
    },
  )
}

/** Collects successes and writes them in batches, one write in flight at a time. */
export class Completer {
  private pending: Array<
    Success & { settle: (owned: boolean) => void; fail: (err: unknown) => void }
  > = []
  private flushing = false

  constructor(
    private readonly ctx: Context,
    private readonly workerId: string,
    private readonly maxBatch = 200,
  ) {}

  /** Resolves true when recorded, false when the lease was lost; rejects if the write failed. */
  succeed(id: number, resultJson: string, startedAt?: Date): Promise<boolean> {
    return new Promise((settle, fail) => {
      this.pending.push({ id, resultJson, startedAt, settle, fail })
      if (!this.flushing) void this.flush()
    })
  }

  private async flush(): Promise<void> {
    this.flushing = true
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, this.maxBatch)
        try {
          const owned = await finishBatch(this.ctx, this.workerId, batch)
          for (const s of batch) s.settle(owned.has(s.id))
        } catch (err) {
          for (const s of batch) s.fail(err)
        }
      }
    } finally {
      this.flushing = false
    }
  }
}
