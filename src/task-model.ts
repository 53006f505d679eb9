/**
 * AsyncTask: the Sequelize model of the async_tasks table. It is a normal
 * model (query it with findAll and friends); the getters decode the stored
 * tagged JSON so `task.args` and `task.result` read as values.
 */
import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type ModelAttributeColumnOptions,
  type ModelStatic,
  type Sequelize,
} from 'sequelize'
import { AsyncTaskError } from './errors.js'
import { deserialize } from './serializer.js'
import { errorFromJSON, type StoredError } from './stored-error.js'
import { TABLE } from './migrations/0001-create-async-tasks.js'
import type { Lifecycle } from './lifecycle/index.js'
import type { EventEmitter } from 'node:events'
import type { Waiters, WaitOptions } from './wait.js'

/** Where a task is in its life. */
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled'

/** One failed attempt, as kept in `task.attemptErrors`. */
export interface AttemptError extends StoredError {
  attempt: number
  at: string
}

type Derived = 'args' | 'result' | 'attemptErrors' | 'errors' | 'label'

/** A stored task. Instances are what `async()`/`schedule()` resolve to. */
export class AsyncTask extends Model<
  InferAttributes<AsyncTask, { omit: Derived }>,
  InferCreationAttributes<AsyncTask, { omit: Derived }>
> {
  declare id: CreationOptional<number>
  /** Model or registered class name. */
  declare objectType: string
  /** Primary key of the record for instance methods; null for static/class methods. */
  declare objectId: string | null
  /** The method name. */
  declare action: string
  declare argsJson: string
  declare queue: CreationOptional<string>
  /** Higher runs first. */
  declare priority: CreationOptional<number>
  declare scheduledAt: Date
  /** @internal 1 due, 0 scheduled in the future, null running or finished. */
  declare ready: number | null
  declare status: CreationOptional<TaskStatus>
  /** null until finished, then true or false. */
  declare success: CreationOptional<boolean | null>
  declare resultJson: CreationOptional<string | null>
  /** The last error as `Name: message`, or null. */
  declare error: CreationOptional<string | null>
  declare attemptErrorsJson: CreationOptional<string | null>
  /** How many runs ended (with a result or an error). */
  declare attempts: CreationOptional<number>
  declare maxAttempts: CreationOptional<number>
  /** How many runs were cut off by a lost worker. */
  declare interruptions: CreationOptional<number>
  /** Milliseconds a run may take, or null for no limit. */
  declare timeoutMs: CreationOptional<number | null>
  /** The unique key of the task (`unique` option), or null. */
  declare uniqueKey: CreationOptional<string | null>
  /** @internal The key while it is held; null once released. */
  declare uniqueHold: CreationOptional<string | null>
  /** How long the key is held: until the task starts, or until it finishes. */
  declare uniqueUntil: CreationOptional<'started' | 'finished' | null>
  /** At most `concurrencyLimit` tasks with this key run at once (`concurrencyKey` option). */
  declare concurrencyKey: CreationOptional<string | null>
  declare concurrencyLimit: CreationOptional<number | null>
  /** @internal 1: holds its key's permit; 2: holds its queue's. */
  declare permits: CreationOptional<number>
  /** W3C trace context (`traceparent [tracestate]`) of the span that enqueued it, when tracing is on. */
  declare traceContext: CreationOptional<string | null>
  /** Progress the running method reported with `currentTask().progress()`, 0–1, or null. */
  declare progress: CreationOptional<number | null>
  /** The note given with the last progress, or null. */
  declare progressNote: CreationOptional<string | null>
  /** Someone asked to cancel the task while it ran (`cancel()` on a running task). */
  declare cancelRequested: CreationOptional<boolean>
  /** @internal Other tasks wait on this one (`after`). */
  declare hasDependents: CreationOptional<boolean>
  declare lockedBy: CreationOptional<string | null>
  declare lockedUntil: CreationOptional<Date | null>
  declare startedAt: CreationOptional<Date | null>
  declare finishedAt: CreationOptional<Date | null>
  declare createdAt: CreationOptional<Date>
  declare updatedAt: CreationOptional<Date>

  /** The decoded arguments (record references as `RecordRef`). */
  get args(): unknown[] {
    return deserialize(this.argsJson) as unknown[]
  }

  /** The decoded return value; for a failed task, the rebuilt `Error`. */
  get result(): unknown {
    return deserialize(this.resultJson)
  }

  /** The error of every failed attempt, oldest first. */
  get attemptErrors(): AttemptError[] {
    return this.attemptErrorsJson ? (JSON.parse(this.attemptErrorsJson) as AttemptError[]) : []
  }

  /** Every attempt's error rebuilt as an `Error`, oldest first. */
  get errors(): Error[] {
    return this.attemptErrors.map((stored) => errorFromJSON(stored))
  }

  /** `Order(17)#sendConfirmationEmail`, as log lines name a task. */
  get label(): string {
    const target = this.objectId === null ? this.objectType : `${this.objectType}(${this.objectId})`
    return `${target}#${this.action}`
  }

  /** @internal The owner of every state change of this installation's tasks. */
  static lifecycle: Lifecycle
  /** @internal Who waits on which task in this process (`wait()`). */
  static waiters: Waiters
  /** @internal The installation's in-process events (a cancel reaches a local worker at once). */
  static events: EventEmitter

  /**
   * Cancels the task. Pending: no worker runs it (tasks that wait on it are
   * cancelled too). Running: its method's `signal` aborts (at once in this
   * process, within one heartbeat elsewhere) and it ends `cancelled` when
   * the method returns or throws; `cancelRequested` is true meanwhile.
   * Rejects with a clear error once it has finished; resolves to the task.
   */
  async cancel(): Promise<this> {
    const model = this.constructor as typeof AsyncTask
    let count = await model.lifecycle.cancel([this.id])
    if (count === 0) {
      count = await model.lifecycle.requestCancel([this.id])
      if (count > 0) model.events?.emit('cancel', [this.id])
    }
    await this.reload()
    if (count !== 1) {
      throw new AsyncTaskError(
        `Task ${this.id} is ${this.status}; only pending or running tasks can be cancelled.`,
      )
    }
    return this
  }

  /**
   * Resolves to this task, reloaded, once it has ended: succeeded, failed or
   * cancelled (read `status` and `result`). Rejects with TimeoutError when
   * `timeout` ms pass first; the task itself goes on. Works from any
   * process: woken by NOTIFY on PostgreSQL or by a worker in this process,
   * else by a light probe.
   */
  wait(options?: WaitOptions): Promise<this> {
    return (this.constructor as typeof AsyncTask).waiters.wait(this, options)
  }

  /**
   * Runs a failed or cancelled task again, as soon as a worker is free, with
   * one more attempt allowed. The errors of earlier attempts are kept.
   */
  async retry(): Promise<this> {
    const count = await (this.constructor as typeof AsyncTask).lifecycle.retry([this.id])
    await this.reload()
    if (count !== 1) {
      throw new AsyncTaskError(
        `Task ${this.id} is ${this.status}; only failed or cancelled tasks can be retried.`,
      )
    }
    return this
  }
}

/** Defines a fresh AsyncTask subclass on one Sequelize instance. */
export function defineTaskModel(
  sequelize: Sequelize,
  lifecycle: Lifecycle,
  modelName = 'AsyncTask',
): ModelStatic<AsyncTask> {
  const TaskModel = class extends AsyncTask {}
  TaskModel.lifecycle = lifecycle
  Object.defineProperty(TaskModel, 'name', { value: modelName })
  TaskModel.init(
    {
      id: { type: DataTypes.BIGINT, autoIncrement: true, primaryKey: true, get: idGetter },
      objectType: { type: DataTypes.STRING(255), allowNull: false, field: 'object_type' },
      objectId: { type: DataTypes.STRING(255), allowNull: true, field: 'object_id' },
      action: { type: DataTypes.STRING(255), allowNull: false },
      argsJson: { type: DataTypes.TEXT, allowNull: false, field: 'args' },
      queue: { type: DataTypes.STRING(100), allowNull: false, defaultValue: 'default' },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 10 },
      scheduledAt: { type: DataTypes.DATE(3), allowNull: false, field: 'scheduled_at' },
      ready: { type: DataTypes.SMALLINT, allowNull: true },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'pending' },
      success: { type: DataTypes.BOOLEAN, allowNull: true },
      resultJson: { type: DataTypes.TEXT, allowNull: true, field: 'result' },
      error: { type: DataTypes.TEXT, allowNull: true },
      attemptErrorsJson: { type: DataTypes.TEXT, allowNull: true, field: 'attempt_errors' },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      maxAttempts: {
        type: DataTypes.INTEGER,
        allowNull: false,
        defaultValue: 1,
        field: 'max_attempts',
      },
      interruptions: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      timeoutMs: { type: DataTypes.INTEGER, allowNull: true, field: 'timeout_ms' },
      uniqueKey: { type: DataTypes.STRING(255), allowNull: true, field: 'unique_key' },
      uniqueHold: { type: DataTypes.STRING(255), allowNull: true, field: 'unique_hold' },
      uniqueUntil: { type: DataTypes.STRING(8), allowNull: true, field: 'unique_until' },
      concurrencyKey: { type: DataTypes.STRING(255), allowNull: true, field: 'concurrency_key' },
      concurrencyLimit: { type: DataTypes.INTEGER, allowNull: true, field: 'concurrency_limit' },
      permits: { type: DataTypes.SMALLINT, allowNull: false, defaultValue: 0 },
      traceContext: { type: DataTypes.STRING(600), allowNull: true, field: 'trace_context' },
      progress: { type: DataTypes.DOUBLE, allowNull: true },
      progressNote: { type: DataTypes.STRING(200), allowNull: true, field: 'progress_note' },
      cancelRequested: flag('cancelRequested', 'cancel_requested'),
      hasDependents: flag('hasDependents', 'has_dependents'),
      lockedBy: { type: DataTypes.STRING(255), allowNull: true, field: 'locked_by' },
      lockedUntil: { type: DataTypes.DATE(3), allowNull: true, field: 'locked_until' },
      startedAt: { type: DataTypes.DATE(3), allowNull: true, field: 'started_at' },
      finishedAt: { type: DataTypes.DATE(3), allowNull: true, field: 'finished_at' },
      createdAt: { type: DataTypes.DATE(3), field: 'created_at' },
      updatedAt: { type: DataTypes.DATE(3), field: 'updated_at' },
    },
    { sequelize, modelName, tableName: TABLE, timestamps: true },
  )
  // The schema belongs to the versioned migrations. A host's
  // `sequelize.sync({ alter: true })` would otherwise rebuild this table from
  // the model (on SQLite by copying it) and drop the claim indexes.
  Object.defineProperty(TaskModel, 'sync', {
    value: () => Promise.resolve(TaskModel),
    writable: true,
  })
  return TaskModel
}

/** A 0/1 flag column (SMALLINT on every dialect) read as a boolean; a copied row's boolean is stored as 0/1. */
function flag(
  name: 'cancelRequested' | 'hasDependents',
  field: string,
): ModelAttributeColumnOptions {
  return {
    type: DataTypes.SMALLINT,
    allowNull: false,
    defaultValue: 0,
    field,
    get(this: AsyncTask): boolean {
      return Number(this.getDataValue(name)) === 1
    },
    set(this: AsyncTask, value: unknown) {
      this.setDataValue(name, (value === true || Number(value) === 1 ? 1 : 0) as never)
    },
  }
}

// BIGINT ids come back as strings from pg and mysql2; tasks are numbered well
// below 2^53, so hand users a number on every dialect.
function idGetter(this: AsyncTask): number {
  const raw = this.getDataValue('id') as number | string | null
  return raw === null || raw === undefined ? (raw as unknown as number) : Number(raw)
}
