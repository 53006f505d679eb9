/**
 * installAsync(): one call per Sequelize instance. Defines the AsyncTask
 * model, adds `.async()`/`.schedule()` to its models and to the registered
 * classes, and returns the handle that migrates, registers and makes workers.
 */
import { EventEmitter } from 'node:events'
import type { ModelStatic, Sequelize } from 'sequelize'
import { defaultBackoff, type Backoff } from './backoff.js'
import type { Context, Settings } from './context.js'
import { enqueue } from './enqueue.js'
import { enqueueMany, type EnqueueItem, type EnqueueManyOptions } from './enqueue-many.js'
import { cancelOnDestroy, type OnDestroy } from './destroy-hooks.js'
import { AsyncTaskError } from './errors.js'
import { consoleLogger, type Logger } from './logger.js'
import { migrate } from './migrations/index.js'
import { patchModels, patchTarget, remember } from './mixin.js'
import { callSite, findInstallation, joinInstallation, keepInstallation } from './installations.js'
import type { EnqueueOptions } from './options.js'
import { Registry } from './registry.js'
import { Lifecycle } from './lifecycle/index.js'
import { Waiters } from './wait.js'
import { tuneSqlite } from './sqlite-tuning.js'
import { guardConnections } from './connection-guard.js'
import { dashboard, type DashboardHandler, type DashboardOptions } from './dashboard/index.js'
import { defineTaskModel, type AsyncTask } from './task-model.js'
import type { AsyncCapable, MethodArgs, MethodName } from './typing.js'
import { Worker, type WorkerOptions } from './worker.js'
import { createTracing } from './tracing/index.js'
import { checkBuckets, collectMetrics, TaskMetrics, type MetricsOptions } from './metrics/index.js'
import { pauseQueue, pausedQueues, resumeQueue } from './queues.js'
import {
  checkConfiguredLimits,
  queueStates,
  setQueueLimits,
  type QueueLimits,
  type QueueStates,
} from './queue-limits.js'
import { listWorkers, type WorkerInfo } from './presence.js'
import { defaultRetention, prune, resolveRetention, type Retention } from './retention.js'
import {
  checkTargets,
  compileSchedules,
  nextRuns,
  runSchedules,
  type RecurringTask,
} from './recurring.js'

/** Options of installAsync(). */
export interface InstallOptions<C extends Record<string, object> = Record<string, object>> {
  /** Plain classes and objects whose methods may run as tasks, by name. */
  classes?: C
  /** Default runs before a task fails for good. Default 1 (no retry, as in the seed). */
  maxAttempts?: number
  /** Lease of a claimed task in ms; a dead worker's task is claimable after it. Default 30000. */
  leaseMs?: number
  /** Times a task may lose its worker before it fails with WorkerLostError. Default 3. */
  maxInterruptions?: number
  /** Largest stored arguments in bytes. Default 1 MiB. */
  maxPayloadBytes?: number
  /** Delay before a retry, from the attempt number. Default exponential with jitter. */
  backoff?: Backoff
  /** Where worker log lines go. Default console. */
  logger?: Logger
  /** Recurring tasks (cron), enqueued once per slot by whichever worker gets there first. */
  recurring?: RecurringTask[]
  /** How long finished tasks are kept (ms per outcome); false keeps them. Default 7 days / 30 days. */
  retention?: Retention | false
  /**
   * Limits per queue, over every worker and host: `{ mail: { concurrency: 5,
   * rateLimit: { max: 100, per: 60_000 } } }`. Applied when a worker starts
   * (if they changed since last applied); `tasks.setQueueLimits()` changes
   * them at run time.
   */
  queues?: Record<string, QueueLimits>
  /**
   * OpenTelemetry spans: a PRODUCER span per enqueue, a CONSUMER span per run
   * continuing its trace (docs/observability.md). Needs `@opentelemetry/api`
   * and a registered tracer provider. Default false: the API is not loaded.
   */
  tracing?: boolean
  /**
   * PostgreSQL: where workers LISTEN for new tasks, when Sequelize connects
   * through a pooler in transaction mode (PgBouncer), which cannot carry
   * LISTEN: a direct `postgres://` URL to the same database. Without it a
   * worker checks that a NOTIFY reaches it and otherwise probes for work
   * every 100 ms, saying so in its log (docs/scaling.md).
   */
  listenUrl?: string
  /**
   * PostgreSQL: run the task statements as named prepared statements, parsed
   * and planned once per connection (default true). Behind a pooler in
   * transaction mode that does not keep them (PgBouncer before 1.21, or
   * `max_prepared_statements = 0`), set false; otherwise the first refusal
   * turns them off and is logged once (docs/scaling.md).
   */
  preparedStatements?: boolean
  /** The run-time histogram of `tasks.metrics()`. */
  metrics?: MetricsOptions
  /**
   * What happens to a record's pending tasks when it is destroyed: 'cancel'
   * (default) cancels them in the destroy's transaction with the reason
   * `Cancelled: Order(17) was destroyed`; 'keep' leaves them (each then fails
   * with RecordNotFoundError when it runs).
   */
  onDestroy?: OnDestroy
}

/** What installAsync() returns. */
export interface AsyncTasks<C extends Record<string, object> = Record<string, object>> {
  /** The AsyncTask model of this Sequelize instance. */
  readonly AsyncTask: ModelStatic<AsyncTask>
  readonly sequelize: Sequelize
  /** The registered classes, typed with their `.async()` and `.schedule()`. */
  readonly classes: { [K in keyof C]: C[K] & AsyncCapable<C[K]> }
  /** Creates or updates the task tables; safe to call on every start. Resolves to the steps applied. */
  migrate(): Promise<string[]>
  /** Registers a plain class or object by name, so its methods can run as tasks. */
  register<T extends object>(name: string, target: T): T & AsyncCapable<T>
  /** Enqueues `target.action(...args)`: the same as `target.async(action, options)`. */
  enqueue<T extends object, K extends MethodName<T>>(
    target: T,
    action: K,
    options?: EnqueueOptions<MethodArgs<T, K>>,
  ): Promise<AsyncTask>
  /**
   * Enqueues many tasks at once, all or nothing: every item
   * (`{ target, action, args, ...options of async() }`) is checked before
   * anything is written, then one INSERT per chunk, in the transaction given
   * (or one of its own). Resolves to the tasks in input order.
   */
  enqueueMany(items: EnqueueItem[], options?: EnqueueManyOptions): Promise<AsyncTask[]>
  /** A worker for this installation. */
  createWorker(options?: WorkerOptions): Worker
  /** Stops workers from claiming this queue's tasks until resumed (running ones finish). */
  pauseQueue(queue: string): Promise<void>
  resumeQueue(queue: string): Promise<void>
  /** Names of the paused queues. */
  pausedQueues(): Promise<string[]>
  /**
   * Sets a queue's limits for every worker now (`null` clears them):
   * `{ concurrency: 5, rateLimit: { max: 100, per: 60_000 } }`.
   */
  setQueueLimits(queue: string, limits: QueueLimits | null): Promise<void>
  /** Every queue with a stored state: paused ones, limited ones with their limits and running count. */
  queueStates(): Promise<QueueStates>
  /** Deletes finished tasks past their retention now; resolves to how many. Workers also do it hourly. */
  prune(retention?: Retention): Promise<number>
  /**
   * Enqueues the recurring slots due at `now` that no one enqueued yet
   * (workers do this every second); resolves to how many this call enqueued.
   */
  enqueueRecurring(now?: Date): Promise<number>
  /**
   * The web dashboard as a request handler: `app.use('/async', tasks.dashboard({ token }))`
   * in Express, or `http.createServer(tasks.dashboard({ basePath: '/async', token }))`.
   * Throws unless given a token of 16+ characters or `auth: false` (docs/dashboard.md).
   */
  dashboard(options?: DashboardOptions): DashboardHandler
  /** Workers seen in the last minute, on every host. */
  workers(): Promise<WorkerInfo[]>
  /** The recurring tasks with their next run times. */
  schedules(count?: number): Array<RecurringTask & { nextRuns: Date[] }>
  /**
   * Prometheus metrics as text exposition (serve it as `text/plain; version=0.0.4`):
   * this process's finished-task counters and run-time histogram, with queue
   * depth, oldest due age and live workers read from the database now.
   */
  metrics(): Promise<string>
}

function checkListenUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  let protocol = ''
  try {
    protocol = new URL(url).protocol
  } catch {
    // reported below
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:')
    throw new AsyncTaskError(
      `installAsync option listenUrl must be a postgres:// URL; got ${JSON.stringify(url)}.`,
    )
  return url
}

function settingsFrom(options: InstallOptions): Settings {
  const int = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback
    if (!Number.isSafeInteger(v) || v < 1)
      throw new AsyncTaskError(
        `installAsync option ${name} must be a positive integer; got ${String(value)}.`,
      )
    return v
  }
  return {
    maxAttempts: int('maxAttempts', options.maxAttempts, 1),
    leaseMs: int('leaseMs', options.leaseMs, 30_000),
    maxInterruptions: int('maxInterruptions', options.maxInterruptions, 3),
    maxPayloadBytes: int('maxPayloadBytes', options.maxPayloadBytes, 1024 * 1024),
    backoff: options.backoff ?? defaultBackoff,
    logger: options.logger ?? consoleLogger,
    retention: resolveRetention(options.retention),
    queueLimits: checkConfiguredLimits(options.queues),
    listenUrl: checkListenUrl(options.listenUrl),
  }
}

/**
 * Adds background tasks to the models of one Sequelize instance. Called again
 * on the same instance (another module, the worker's config/async.cjs) with
 * nothing but `classes`, it registers them and returns the first
 * installation; with other options it throws, naming where the first call is.
 */
export function installAsync<C extends Record<string, object> = Record<string, never>>(
  sequelize: Sequelize,
  options: InstallOptions<C> = {},
): AsyncTasks<C> {
  const first = findInstallation<AsyncTasks>(sequelize)
  if (first) {
    const joined = joinInstallation(first, options)
    return { ...joined, classes: { ...joined.classes, ...options.classes } } as AsyncTasks<C>
  }
  const site = callSite(installAsync)
  const dialect = sequelize.getDialect()
  if (
    dialect !== 'postgres' &&
    dialect !== 'mysql' &&
    dialect !== 'mariadb' &&
    dialect !== 'sqlite'
  ) {
    throw new AsyncTaskError(
      `sequelize-async supports postgres, mysql, mariadb and sqlite; this Sequelize uses ${dialect}.`,
    )
  }
  const settings = settingsFrom(options)
  const onDestroy = options.onDestroy ?? 'cancel'
  if (onDestroy !== 'cancel' && onDestroy !== 'keep')
    throw new AsyncTaskError(
      `installAsync option onDestroy must be 'cancel' or 'keep'; got ${JSON.stringify(onDestroy)}.`,
    )
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean')
    throw new AsyncTaskError(
      `installAsync option preparedStatements must be true or false; got ${JSON.stringify(options.preparedStatements)}.`,
    )
  const lifecycle = new Lifecycle(sequelize, dialect, settings.logger, {
    preparedStatements: options.preparedStatements,
  })
  const ctx: Context = {
    sequelize,
    dialect,
    AsyncTask: defineTaskModel(sequelize, lifecycle),
    lifecycle,
    registry: new Registry(sequelize),
    settings,
    events: new EventEmitter().setMaxListeners(0),
    schedules: compileSchedules(options.recurring),
    tracing: createTracing(options.tracing),
    metrics: new TaskMetrics(checkBuckets(options.metrics?.buckets)),
  }
  const TaskModel = ctx.AsyncTask as unknown as typeof AsyncTask
  TaskModel.waiters = new Waiters(ctx)
  TaskModel.events = ctx.events
  // Waiting tasks released by a decision wake this process's workers like an enqueue.
  lifecycle.onReleased = (queues) => {
    for (const queue of queues) ctx.events.emit('enqueued', queue)
  }
  // Everything that can refuse the options runs before anything is patched,
  // so a corrected second call is not told it was already made.
  const classes = Object.entries(options.classes ?? {})
  for (const [name, target] of classes) ctx.registry.register(name, target)
  checkTargets(ctx, ctx.schedules)
  remember(ctx)
  patchModels()
  cancelOnDestroy(ctx, onDestroy)
  guardConnections(sequelize)
  const sqliteReady = dialect === 'sqlite' ? tuneSqlite(sequelize) : Promise.resolve()
  sqliteReady.catch(() => undefined) // surfaced by migrate() if it matters
  const register = <T extends object>(name: string, target: T): T & AsyncCapable<T> => {
    ctx.registry.register(name, target)
    patchTarget(ctx, name, target)
    return target as T & AsyncCapable<T>
  }
  for (const [name, target] of classes) patchTarget(ctx, name, target)
  const tasks: AsyncTasks<C> = {
    AsyncTask: ctx.AsyncTask,
    sequelize,
    classes: (options.classes ?? {}) as AsyncTasks<C>['classes'],
    async migrate() {
      await sqliteReady
      return migrate(sequelize)
    },
    register,
    enqueue: (target, action, opts) => enqueue(ctx, target, action, opts),
    enqueueMany: (items, opts) => enqueueMany(ctx, items, opts),
    createWorker: (workerOptions) => new Worker(ctx, workerOptions),
    pauseQueue: (queue) => pauseQueue(ctx, queue),
    resumeQueue: (queue) => resumeQueue(ctx, queue),
    pausedQueues: () => pausedQueues(ctx),
    setQueueLimits: (queue, limits) => setQueueLimits(ctx, queue, limits),
    queueStates: () => queueStates(ctx),
    prune: (retention) => prune(ctx, resolveRetention(retention) || defaultRetention),
    workers: () => listWorkers(ctx),
    dashboard: (options) => dashboard(tasks, options),
    enqueueRecurring: (now) => runSchedules(ctx, ctx.schedules, now),
    metrics: () => collectMetrics(ctx),
    schedules: (count = 3) =>
      ctx.schedules.map((schedule) => ({ ...schedule.entry, nextRuns: nextRuns(schedule, count) })),
  }
  keepInstallation(sequelize, { tasks, site, register })
  return tasks
}
