/**
 * How an idle worker learns that work is due, cheapest first: an enqueue in
 * its own process wakes it directly (after commit, when in a transaction);
 * on PostgreSQL the insert trigger's NOTIFY wakes it (on `listenUrl` if
 * given: a pooler in transaction mode does not deliver it); otherwise it probes
 * the claim index every `probeInterval` while it has free slots (a read, no
 * lock: on SQLite it does not take the write lock a claim needs); and every
 * `pollInterval` it looks anyway (upkeep and a claim).
 */
import type { Context } from './context.js'
import { probe } from './lifecycle/probe.js'
import { listen, type Listener } from './notify.js'
import type { Slots } from './slots.js'
import type { ResolvedWorkerOptions } from './worker-options.js'

export class WorkWaiter {
  private wakeUp: (() => void) | undefined
  /** A wake-up that came while the loop was busy (claiming), so it is not lost. */
  private woken = false
  private listener: Listener | undefined
  private readonly onEnqueued = (queue: string): void => {
    if (this.takes(queue)) this.wake()
  }

  constructor(
    private readonly ctx: Context,
    private readonly options: ResolvedWorkerOptions,
    private readonly slots: Slots,
    private readonly running: () => boolean,
  ) {}

  open(): void {
    this.ctx.events.on('enqueued', this.onEnqueued)
    if (this.ctx.dialect === 'postgres' && this.options.listen) {
      const { logger, listenUrl } = this.ctx.settings
      this.listener = listen(this.ctx.sequelize, () => this.wake(), logger, { url: listenUrl })
    }
  }

  async close(): Promise<void> {
    this.ctx.events.off('enqueued', this.onEnqueued)
    this.wake()
    const listener = this.listener
    this.listener = undefined
    await listener?.close()
  }

  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  /**
   * Idle until woken, the poll interval passes, or a probe finds due work;
   * then every queue is worth a claim again.
   */
  async wait(): Promise<void> {
    if (!this.woken) await this.idleForWork()
    this.woken = false
    this.slots.lookAgain()
  }

  /** A pause after an error (a wake-up still ends it). */
  pause(ms: number): Promise<void> {
    return this.idle(ms)
  }

  private takes(queue: string): boolean {
    return this.options.queues.includes('*') || this.options.queues.includes(queue)
  }

  private idle(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.wakeUp = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.wakeUp = done
    })
  }

  private async idleForWork(): Promise<void> {
    const { pollInterval, concurrency } = this.options
    const every = this.probeEvery()
    if (every === 0 || every >= pollInterval) return this.idle(pollInterval)
    const until = Date.now() + pollInterval
    for (;;) {
      const left = until - Date.now()
      if (left <= 0) return
      await this.idle(Math.min(every, left))
      if (this.woken || !this.running()) return
      if (this.slots.running.size >= concurrency) continue // no slot to fill
      // A failed probe ends the wait: the claim then meets (and logs) the error.
      if (await this.probeQueues().catch(() => true)) return
    }
  }

  private probeEvery(): number {
    const { probeInterval } = this.options
    if (probeInterval !== undefined) return probeInterval
    // LISTEN/NOTIFY wakes the worker instead, once a NOTIFY is known to arrive
    // (not before the check, not while reconnecting, not behind a pooler).
    return this.listener?.active ? 0 : 100
  }

  /**
   * Limited queues are left out: their due tasks may be waiting for the cap
   * or the rate window, and a probe that kept finding them would wake the
   * worker for claims that take nothing. They are claimed at each poll, and
   * as soon as a wake-up or a finished task of theirs comes.
   */
  private probeQueues(): Promise<boolean> {
    const { paused, limited } = this.slots
    const skip = (queue: string): boolean => paused.has(queue) || limited.has(queue)
    if (this.options.queues.includes('*')) return probe(this.ctx, null, [...paused, ...limited])
    return probe(
      this.ctx,
      this.options.queues.filter((queue) => !skip(queue)),
      [],
    )
  }
}
