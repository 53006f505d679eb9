/** The claim of the installation's dialect. */
import type { Context } from '../context.js'
import { claimMysql } from './mysql.js'
import { claimPostgres } from './postgres.js'
import type { Claim } from './request.js'
import { claimSqlite } from './sqlite.js'

export type { ClaimRequest, Claim } from './request.js'

const CLAIMS: Record<Context['dialect'], Claim> = {
  postgres: claimPostgres,
  mysql: claimMysql,
  mariadb: claimMysql,
  sqlite: claimSqlite,
}

/** Atomically claims up to `request.limit` due tasks, highest priority first. */
export const claim: Claim = async (ctx, request) => {
  const tasks = await CLAIMS[ctx.dialect](ctx, request)
  // RETURNING and IN (…) give no order; run in the claim order.
  return tasks.sort(
    (a, b) =>
      b.priority - a.priority || a.scheduledAt.getTime() - b.scheduledAt.getTime() || a.id - b.id,
  )
}
