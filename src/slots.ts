/**
 * A worker's slots. Claimed tasks wait in a buffer (leased: claimed ahead
 * with `prefetch`, or the rest of a claim), start in groups whose records
 * load together, and end with an outcome that is written with the claim of
 * the next tasks in the same round trip (the lifecycle's step). A finished
 * task frees its slot at once; its lease is kept (heartbeat) until the
 * outcome is stored.
 *
 * Outcomes that end while the worker's writes are in flight wait and go
 * together in the next one, with one claim for every slot freed meanwhile
 * (group commit). A worker has at most two writes in flight (one on SQLite,
 * whose one connection would only queue a second; one with
 * `batchCompletions`), so an idle worker still writes an outcome the moment
 * its run ends, and a busy one sends fewer, larger statements: each write
 * had been its own round trip, commit and claim, and the server's time per
 * statement, not per task, was what a fast drain spent
 * (`N=20000 node bench/prof-drain.mjs postgres`: 1,548–1,913 → 3,164–3,384
 * tasks/s on a 2-core machine, one write per outcome against two in flight).
 * A second write in flight keeps outcomes moving while one waits (a
 * limited queue's lock, a slow commit).
 */
import type { Context } from './context.js'
import { execute, prepare, type Prepared } from './executor.js'
import type { ClaimRequest, Preloaded, Step, TaskRow } from './lifecycle/index.js'
import { finishRun, unstorable } from './outcome.js'
import { RecordJoins } from './record-joins.js'
import { Recorder, type Ending } from './recorder.js'
import { CancelledError } from './errors.js'
import type { Recorded } from './worker-events.js'

export interface SlotOptions {
  workerId: string
  concurrency: number
  prefetch: number
  batch: boolean
  leaseMs: number
  /** In order of precedence; `'*'` for every queue. */
  queues: string[]
}

export interface SlotHooks {
  start(row: TaskRow): void
  ended(ending: Ending, recorded: Recorded): void
  fault(what: string, err: unknown): void
}

interface Running {
  row: TaskRow
  abort: AbortController
  /** When it really started, if it waited in the buffer after its claim. */
  startedLate: Date | null
}

const MAX_BATCH = 200

/** Outcome writes a worker keeps in flight (see the class comment). */
const WRITES = 2

export class Slots {
  readonly running = new Map<number, Running>()
  readonly buffer: TaskRow[] = []
  /** Whether claims may be made (a started worker, or workOff()). */
  accepting = false
  /** Paused and limited queues, as upkeep last read them. */
  paused = new Set<string>()
  limited = new Set<string>()
  /** Queues a claim came back short from, since the last look for work. */
  private readonly drained = new Set<string>()
  private claimingFor = 0
  private readonly recorder: Recorder
  private readonly endings: Ending[] = []
  /** Outcome writes in flight, and how many may be (see the class comment). */
  private flushing = 0
  private readonly maxWrites: number
  private waiters: Array<() => void> = []
  /**
   * Default mode only (claimed tasks start at once): the models whose
   * records the claim reads, and what it read for tasks not started yet.
   */
  private readonly joins: RecordJoins | null
  private readonly preloaded = new Map<number, Preloaded>()

  constructor(
    private readonly ctx: Context,
    private readonly options: SlotOptions,
    private readonly hooks: SlotHooks,
  ) {
    this.recorder = new Recorder(ctx, options.workerId, {
      settled: (ending, recorded) => {
        ctx.metrics.finished(ending.row.queue, recorded, ending.ms)
        this.hooks.ended(ending, recorded)
      },
      fault: (what, err) => this.hooks.fault(what, err),
    })
    this.joins = options.prefetch === 0 ? new RecordJoins(ctx) : null
    this.maxWrites = options.batch || ctx.dialect === 'sqlite' ? 1 : WRITES
  }

  /** Ids whose lease this worker must keep: running, claimed ahead, outcome not yet stored. */
  leased(): number[] {
    return [...this.running.keys(), ...this.buffer.map((row) => row.id), ...this.recorder.unsaved]
  }

  /** Nothing claimed, running or being written, and every queue came back short. */
  get idle(): boolean {
    return (
      this.running.size === 0 &&
      this.buffer.length === 0 &&
      this.claimingFor === 0 &&
      this.recorder.unsaved.size === 0 &&
      this.nextQueue() === undefined
    )
  }

  /** Claims or outcome writes still on their way. */
  get writing(): boolean {
    return this.claimingFor > 0 || this.recorder.unsaved.size > 0
  }

  /** Claims still on their way (what they bring starts in free slots). */
  get claiming(): boolean {
    return this.claimingFor > 0
  }

  /** After a wake-up (new work may be due): every queue is worth a claim again. */
  lookAgain(): void {
    this.drained.clear()
  }

  /** Claims for free slots (and the buffer) from each queue in turn; resolves to how many. */
  async fill(): Promise<number> {
    let claimed = 0
    for (let request = this.request(); request; request = this.request()) {
      claimed += await this.write([], request)
    }
    return claimed
  }

  /** Resolves when something changed (a write settled, a task ended). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** Hands back what was claimed ahead and not started; resolves to the ids. */
  takeBuffer(): number[] {
    this.preloaded.clear()
    return this.buffer.splice(0).map((row) => row.id)
  }

  /** Outcome writes give up retrying (the worker has stopped). */
  close(): void {
    this.recorder.close()
  }

  private notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  /**
   * The queues to claim from, in precedence. A worker of every queue (`*`)
   * claims limited queues on their own, after the rest: its `*` claim
   * leaves them alone (lifecycle/queue-limits.ts).
   */
  private nextQueue(): string | undefined {
    const { queues } = this.options
    const all = queues.includes('*')
      ? [...queues, ...[...this.limited].filter((q) => !queues.includes(q))]
      : queues
    return all.find((q) => !this.drained.has(q) && (q === '*' || !this.paused.has(q)))
  }

  /** What the next write should claim, if anything. */
  private request(): ClaimRequest | null {
    if (!this.accepting) return null
    const { concurrency, prefetch, workerId, leaseMs } = this.options
    // The buffer is topped up once it is half empty, so one claim serves several tasks.
    if (prefetch > 0 && this.buffer.length > prefetch / 2) return null
    const want = concurrency + prefetch - this.running.size - this.buffer.length - this.claimingFor
    const queue = want > 0 ? this.nextQueue() : undefined
    if (queue === undefined) return null
    const all = queue === '*'
    const records = this.joins?.current() ?? []
    return {
      queue: all ? null : queue,
      exclude: all ? [...this.paused] : [],
      limit: want,
      workerId,
      leaseMs,
      limited: !all && this.limited.has(queue),
      ...(records.length > 0 && this.joins ? { records, recordsFailed: this.joins.failed } : {}),
    }
  }

  /**
   * One round trip: `batch` stored, and `request` claimed. A failed write
   * of outcomes goes to the recorder (retried, never dropped); a failed
   * pure claim rejects, for the worker's loop to log and wait on.
   */
  private async write(batch: Ending[], request: ClaimRequest | null): Promise<number> {
    if (request) this.claimingFor += request.limit
    try {
      const finished = batch.map((e) => e.finished)
      const step = await this.ctx.lifecycle.step(finished, request, this.options.workerId)
      this.recorder.settle(batch, step)
      this.afterEnded(step)
      if (request && step.claimed.length < request.limit) this.drained.add(request.queue ?? '*')
      for (const [id, record] of step.records) this.preloaded.set(id, record)
      this.joins?.saw(step.claimed)
      this.buffer.push(...step.claimed)
      return step.claimed.length
    } catch (err) {
      if (batch.length === 0) throw err
      await this.recorder.recover(batch, err)
      return 0
    } finally {
      if (request) this.claimingFor -= request.limit
      this.startFromBuffer()
      this.notify()
    }
  }

  private record(ending: Ending): void {
    this.recorder.unsaved.add(ending.row.id)
    this.endings.push(ending)
    if (this.flushing < this.maxWrites) void this.flush()
  }

  /** Writes what ended (and claims for the free slots) until nothing is left; one of maxWrites. */
  private async flush(): Promise<void> {
    this.flushing++
    try {
      while (this.endings.length > 0) {
        await this.write(this.endings.splice(0, MAX_BATCH), this.request())
      }
    } finally {
      this.flushing--
    }
  }

  /**
   * Starts buffered tasks in free slots, as one group. Also while the worker
   * stops: a task claimed for a free slot runs, as `stop()` promises; only
   * what was claimed ahead is handed back.
   */
  startFromBuffer(): void {
    const free = this.options.concurrency - this.running.size
    if (free <= 0 || this.buffer.length === 0) return
    const rows = this.buffer.splice(0, free)
    const late = this.options.prefetch > 0 ? new Date() : null
    for (const row of rows) {
      this.running.set(row.id, { row, abort: new AbortController(), startedLate: late })
    }
    let records: Map<number, Preloaded> | undefined
    if (this.preloaded.size > 0) {
      records = new Map()
      for (const row of rows) {
        const record = this.preloaded.get(row.id)
        if (record === undefined) continue
        records.set(row.id, record)
        this.preloaded.delete(row.id)
      }
    }
    void prepare(this.ctx, rows, records).then((group) => {
      for (const prepared of group) void this.run(prepared)
    })
  }

  private async run(prepared: Prepared): Promise<void> {
    const { row } = prepared
    const entry = this.running.get(row.id) as Running
    this.hooks.start(row)
    const began = performance.now()
    const { tracing } = this.ctx
    // With tracing on: the run inside a CONSUMER span continuing the task's trace.
    const outcome = await (tracing
      ? tracing.execute(row, this.options.workerId, () =>
          execute(this.ctx, prepared, entry.abort, this.options.workerId),
        )
      : execute(this.ctx, prepared, entry.abort, this.options.workerId))
    const ms = Math.round(performance.now() - began)
    this.running.delete(row.id)
    const value = outcome.ok ? outcome.value : undefined
    let ending: Ending
    try {
      const { finished, error } = finishRun(this.ctx, row, outcome, entry.startedLate)
      ending = { row, finished, error, value, ms, tries: 0 }
    } catch (err) {
      // Nothing a method returns or throws may keep its slot or its row.
      ending = {
        row,
        finished: unstorable(row, err, entry.startedLate),
        error: err,
        value,
        ms,
        tries: 0,
      }
    }
    this.record(ending)
    this.startFromBuffer()
    this.notify()
  }

  /**
   * What follows tasks that ended for good, outside the write: tasks that
   * wait on them are decided, and those waited on announced (NOTIFY on
   * PostgreSQL, and this process's waiters). A failure here loses nothing:
   * the upkeep's sweep decides waiting tasks, and waiters probe.
   */
  private afterEnded(step: Step): void {
    const { ctx } = this
    if (step.parents.length > 0) {
      ctx.lifecycle
        .decideChildren(step.parents)
        .catch((err: unknown) =>
          this.hooks.fault('deciding the tasks that wait on finished ones failed', err),
        )
    }
    if (step.watched.length > 0) {
      ctx.lifecycle
        .announceFinished(step.watched)
        .catch((err: unknown) => this.hooks.fault('announcing finished tasks failed', err))
    }
    if (step.owned.size > 0 && ctx.events.listenerCount('finished') > 0)
      ctx.events.emit('finished', [...step.owned])
  }

  /** Aborts the runs someone asked to cancel; the outcome write stores them cancelled. */
  cancel(ids: number[]): void {
    for (const id of ids) {
      const entry = this.running.get(id)
      if (entry && !entry.abort.signal.aborted)
        entry.abort.abort(new CancelledError(`Task ${id} was cancelled while it ran.`))
    }
  }

  /** Aborts the runs still going (after they were released at shutdown). */
  abortAll(reason: Error): void {
    for (const entry of this.running.values()) entry.abort.abort(reason)
  }
}
