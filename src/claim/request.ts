import type { Context } from '../context.js'
import type { AsyncTask } from '../task-model.js'

/** What a worker asks of a claim. */
export interface ClaimRequest {
  /** One queue, or null for every queue. */
  queue: string | null
  /** With `queue: null`: queues to leave alone (paused). */
  exclude: string[]
  /** At most this many tasks. */
  limit: number
  workerId: string
  leaseMs: number
}

/** A dialect's atomic claim. */
export type Claim = (ctx: Context, request: ClaimRequest) => Promise<AsyncTask[]>

export type QueueFilter = 'queue' | 'any' | 'except'

/** Which queue condition a claim needs: one queue, every queue, or all but the paused. */
export function queueFilter(request: ClaimRequest): QueueFilter {
  if (request.queue !== null) return 'queue'
  return request.exclude.length > 0 ? 'except' : 'any'
}

/** The SQL condition of each filter, for the claim statements to embed. */
export const QUEUE_CONDITION: Record<QueueFilter, string> = {
  queue: 'AND queue = :queue',
  any: '',
  except: 'AND queue NOT IN (:exclude)',
}
