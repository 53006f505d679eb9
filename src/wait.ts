/**
 * `task.wait()`: resolves once a task has ended (succeeded, failed or
 * cancelled), in any process. How a waiter learns it, cheapest first:
 *
 * - a worker in this process that ends the task says so at once (the
 *   installation's 'finished' event);
 * - on PostgreSQL, the task is marked `watched`, and the worker that ends it
 *   (on any host) sends a NOTIFY on `sequelize_async_finished`; one LISTEN
 *   connection per installation serves every waiter, opened on the first
 *   wait and closed with the last;
 * - otherwise (and as a safety net) a probe: one read of the row by primary
 *   key, first after 100 ms, then less and less often, up to every 2 s
 *   (every 5 s where NOTIFY covers it).
 */
import type { Context } from './context.js'
import { TimeoutError, AsyncTaskError } from './errors.js'
import { FINISHED_CHANNEL } from './lifecycle/index.js'
import { listen, type Listener } from './notify.js'
import type { AsyncTask } from './task-model.js'

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])
const MAX_WAIT_MS = 2_147_483_647

export interface WaitOptions {
  /** Milliseconds to wait before rejecting with TimeoutError. Default: no limit. */
  timeout?: number
}

export class Waiters {
  private readonly byId = new Map<number, Set<() => void>>()
  private listener: Listener | undefined

  constructor(private readonly ctx: Context) {}

  async wait<T extends AsyncTask>(task: T, options: WaitOptions = {}): Promise<T> {
    const { timeout } = options ?? {}
    if (
      timeout !== undefined &&
      (typeof timeout !== 'number' ||
        !Number.isFinite(timeout) ||
        timeout < 0 ||
        timeout > MAX_WAIT_MS)
    ) {
      throw new AsyncTaskError(`wait({ timeout }) takes milliseconds; got ${String(timeout)}.`)
    }
    const postgres = this.ctx.dialect === 'postgres'
    if (postgres) await this.ctx.lifecycle.watch(task.id)
    const { id } = task
    let check: (() => void) | undefined
    let timer: NodeJS.Timeout | undefined
    let deadline: NodeJS.Timeout | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        let busy = false
        let again = false
        let delay = 100
        const done = (err?: Error): void => {
          if (err) reject(err)
          else resolve()
        }
        const probe = async (): Promise<void> => {
          if (busy) {
            again = true
            return
          }
          busy = true
          try {
            do {
              again = false
              await task.reload()
              if (FINAL.has(task.status)) return done()
            } while (again)
          } catch (err) {
            return done(err as Error)
          } finally {
            busy = false
          }
        }
        const tick = (): void => {
          void probe().then(() => {
            delay = Math.min(
              Math.round(delay * 1.5),
              postgres && this.listener?.active ? 5000 : 2000,
            )
            timer = setTimeout(tick, delay)
          })
        }
        check = () => void probe()
        this.add(id, check)
        if (timeout !== undefined) {
          deadline = setTimeout(
            () =>
              done(
                new TimeoutError(
                  `Task ${id} (${task.label}) did not finish within ${timeout} ms; it is ${task.status}. It goes on: wait again, or cancel() it.`,
                ),
              ),
            timeout,
          )
        }
        // The first look at once: it may have ended before the wait began.
        void probe().then(() => (timer = setTimeout(tick, delay)))
      })
    } finally {
      clearTimeout(timer)
      clearTimeout(deadline)
      if (check) await this.remove(id, check)
    }
    return task
  }

  private add(id: number, check: () => void): void {
    let set = this.byId.get(id)
    if (!set) this.byId.set(id, (set = new Set()))
    set.add(check)
    if (this.byId.size === 1 && set.size === 1) {
      this.ctx.events.on('finished', this.onFinished)
      if (this.ctx.dialect === 'postgres') {
        this.listener = listen(
          this.ctx.sequelize,
          (payload) => this.onFinished(payload === '' ? null : payload.split(',').map(Number)),
          this.ctx.settings.logger,
          { channel: FINISHED_CHANNEL, url: this.ctx.settings.listenUrl },
        )
      }
    }
  }

  private async remove(id: number, check: () => void): Promise<void> {
    const set = this.byId.get(id)
    set?.delete(check)
    if (set && set.size === 0) this.byId.delete(id)
    if (this.byId.size === 0) {
      this.ctx.events.off('finished', this.onFinished)
      const listener = this.listener
      this.listener = undefined
      await listener?.close()
    }
  }

  /** Ids that ended (null: unknown, after a reconnect): their waiters look. */
  private readonly onFinished = (ids: number[] | null): void => {
    const targets = ids ?? [...this.byId.keys()]
    for (const id of targets) for (const check of this.byId.get(id) ?? []) check()
  }
}
