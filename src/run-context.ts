/**
 * What a running method can do about its own task, through
 * `currentTask()`: report progress, snooze, read its parents' results.
 * One per run, carried by AsyncLocalStorage (task-context.ts); its AsyncTask
 * instance is built only if the method asks for it.
 */
import type { Context } from './context.js'
import { AsyncTaskError } from './errors.js'
import { logLine } from './logger.js'
import { toInstance, type TaskRow } from './lifecycle/index.js'
import { deserialize } from './serializer.js'
import type { TaskContext } from './task-context.js'
import type { AsyncTask } from './task-model.js'

/** Progress is written at most this often; the latest value wins. */
const PROGRESS_EVERY_MS = 250
const NOTE_MAX = 200
const SNOOZE_MAX_MS = 365 * 24 * 3600 * 1000

/** Thrown by `snooze()` to end the run; the worker stores the snooze, not an error. */
export class Snooze extends Error {
  override name = 'Snooze'
  constructor(readonly ms: number) {
    super(`The task snoozed for ${ms} ms.`)
  }
}

export class RunContext implements TaskContext {
  /** Set by snooze(): the run ends as a snooze however the method then ends. */
  snoozedFor: number | null = null
  private instance: AsyncTask | undefined
  private pending: { progress: number; note: string | null } | null = null
  private timer: NodeJS.Timeout | undefined
  private lastWrite = 0
  private closed = false

  constructor(
    private readonly ctx: Context,
    private readonly row: TaskRow,
    readonly signal: AbortSignal,
    private readonly workerId: string,
  ) {}

  get task(): AsyncTask {
    return (this.instance ??= toInstance(this.ctx.AsyncTask, this.row))
  }

  /**
   * Stores how far the run is (0–1) and a short note, shown by
   * `script/async show`, the dashboard and `task.reload()`. Call it as often
   * as you like: at most a few writes a second reach the database, the
   * latest value last.
   */
  progress(fraction: number, note?: string): void {
    if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1)
      throw new AsyncTaskError(`progress() takes a number from 0 to 1; got ${String(fraction)}.`)
    if (note !== undefined && typeof note !== 'string')
      throw new AsyncTaskError('progress(fraction, note): the note must be a string.')
    if (this.closed) return
    const text =
      note === undefined ? null : note.length > NOTE_MAX ? `${note.slice(0, NOTE_MAX - 1)}…` : note
    this.pending = { progress: fraction, note: text }
    if (this.timer) return
    const wait = Math.max(0, this.lastWrite + PROGRESS_EVERY_MS - Date.now())
    this.timer = setTimeout(() => this.flush(), wait)
    this.timer.unref()
  }

  /**
   * Ends this run without counting an attempt or an error; the task runs
   * again after `ms`. It throws to end the method: call it last
   * (`return currentTask().snooze(60_000)`); even if caught, the run ends as
   * a snooze.
   */
  snooze(ms: number): never {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > SNOOZE_MAX_MS)
      throw new AsyncTaskError(`snooze() takes milliseconds from 0 to one year; got ${String(ms)}.`)
    this.snoozedFor = Math.round(ms)
    throw new Snooze(this.snoozedFor)
  }

  /** The stored results of the tasks this one runs after (`after`), in that order. */
  async parentResults(): Promise<unknown[]> {
    const parents = await this.ctx.lifecycle.parentResults(this.row.id)
    return parents.map((p) => {
      if (p.status !== 'succeeded') {
        throw new AsyncTaskError(
          `Task ${p.id}, which this task runs after, is ${p.status ?? 'gone'}; its result cannot be read.`,
        )
      }
      return deserialize(p.resultJson)
    })
  }

  /** The run ended: a progress write still waiting is dropped (the outcome write follows). */
  close(): void {
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private flush(): void {
    this.timer = undefined
    const next = this.pending
    this.pending = null
    if (!next || this.closed) return
    this.lastWrite = Date.now()
    this.ctx.lifecycle
      .progress(this.row.id, this.workerId, next.progress, next.note)
      .catch((err: unknown) =>
        this.ctx.settings.logger.error(
          logLine(
            'ERROR',
            `storing the progress of task ${this.row.id} failed: ${(err as Error).message}`,
          ),
        ),
      )
  }
}
