/**
 * Stores outcomes the database refused the first time, without ever
 * dropping one and without ever looping on one:
 *
 * - a batch that failed is written again one outcome at a time, so one bad
 *   row cannot hold back the others;
 * - while the database is unreachable (connection errors), a write is
 *   retried with a growing pause for as long as the worker runs: the run's
 *   work is done and must not be done twice;
 * - any other refusal (a value the column will not take, a corrupt row) is
 *   tried three times, then the task is ended as failed with an error that
 *   says why; if even that cannot be written, the outcome is given up, the
 *   lease runs out and rescue hands the task to a worker again.
 */
import type { Context } from './context.js'
import type { Completed, Finished, TaskRow } from './lifecycle/index.js'
import type { Recorded } from './worker-events.js'
import { unstorable } from './outcome.js'
import { isOutage } from './transient.js'

/** A run that ended, waiting for its outcome to be stored. */
export interface Ending {
  row: TaskRow
  finished: Finished
  /** What the run threw (failed, retry). */
  error: unknown
  /** What it returned (succeeded). */
  value: unknown
  ms: number
  tries: number
}

export interface RecorderHooks {
  settled(ending: Ending, recorded: Recorded): void
  fault(what: string, err: unknown): void
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const TRIES = 3

export class Recorder {
  /** Ids whose outcome is not stored yet: their lease is still renewed. */
  readonly unsaved = new Set<number>()
  /** Set once the worker has stopped: retries give up, the task runs again elsewhere. */
  closing = false

  constructor(
    private readonly ctx: Context,
    private readonly workerId: string,
    private readonly hooks: RecorderHooks,
  ) {}

  /**
   * The worker stops with outcomes still unsaved (the database is away):
   * each is given up now and said so, before the process may exit, since the
   * retry that would notice may never wake up again.
   */
  close(): void {
    this.closing = true
    for (const id of [...this.unsaved]) {
      this.unsaved.delete(id)
      this.hooks.fault(
        `the outcome of task ${id} was not stored before the worker stopped; its lease runs out and it runs again`,
        new Error('worker stopped'),
      )
    }
  }

  /** Reports a written batch; the ids not in `owned` had lost their lease. */
  settle(batch: Ending[], done: Completed): void {
    for (const ending of batch) {
      const { id } = ending.row
      this.unsaved.delete(id)
      this.hooks.settled(
        ending,
        !done.owned.has(id) ? 'lost' : done.cancelled.has(id) ? 'cancelled' : ending.finished.kind,
      )
    }
  }

  /** After a failed write of `batch`: each outcome again on its own. Never rejects. */
  async recover(batch: Ending[], err: unknown): Promise<void> {
    if (batch.length === 1) return this.retry(batch[0] as Ending, err)
    await Promise.all(batch.map((ending) => this.attempt(ending)))
  }

  private async attempt(ending: Ending): Promise<void> {
    try {
      const step = await this.ctx.lifecycle.step([ending.finished], null, this.workerId)
      this.settle([ending], step)
    } catch (err) {
      await this.retry(ending, err)
    }
  }

  private async retry(ending: Ending, first: unknown): Promise<void> {
    const { id } = ending.row
    let err = first
    for (let delay = 10; ;) {
      if (isOutage(err)) {
        if (this.closing)
          return this.unsaved.has(id)
            ? this.abandon(ending, err, 'after the worker stopped')
            : undefined
        this.hooks.fault(`saving the outcome of task ${id} failed (retrying in ${delay} ms)`, err)
        await sleep(delay)
        delay = Math.min(delay * 2, 5000)
      } else if (++ending.tries >= TRIES) {
        return this.endAsFailed(ending, err)
      } else {
        await sleep(5 * ending.tries)
      }
      try {
        const step = await this.ctx.lifecycle.step([ending.finished], null, this.workerId)
        return this.settle([ending], step)
      } catch (next) {
        err = next
      }
    }
  }

  private async endAsFailed(ending: Ending, err: unknown): Promise<void> {
    const { id } = ending.row
    this.hooks.fault(
      `the outcome of task ${id} could not be stored after ${ending.tries} tries; it is ended as failed`,
      err,
    )
    const last = unstorable(ending.row, err, ending.finished.startedAt)
    try {
      const step = await this.ctx.lifecycle.step([last], null, this.workerId)
      this.settle([{ ...ending, finished: last, error: err }], step)
    } catch (again) {
      this.abandon(ending, again, 'and ending it as failed was refused too')
    }
  }

  private abandon(ending: Ending, err: unknown, why: string): void {
    this.unsaved.delete(ending.row.id)
    this.hooks.fault(
      `the outcome of task ${ending.row.id} was not stored ${why}; its lease runs out and it runs again`,
      err,
    )
  }
}
