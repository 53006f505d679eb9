import type { Context } from '../context.js'
import type { AsyncTask } from '../task-model.js'

/** What a worker asks of a claim. */
export interface ClaimRequest {
  /** One queue, or null for every queue. */
  queue: string | null
  /** At most this many tasks. */
  limit: number
  workerId: string
  leaseMs: number
}

/** A dialect's atomic claim. */
export type Claim = (ctx: Context, request: ClaimRequest) => Promise<AsyncTask[]>
