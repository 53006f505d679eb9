/**
 * sequelize-async: background tasks for Sequelize apps.
 *
 * ```ts
 * const tasks = installAsync(sequelize, { classes: { Newsletter } })
 * await tasks.migrate()
 * await order.async('sendConfirmationEmail')
 * await tasks.createWorker({ concurrency: 4 }).start()
 * ```
 */
export { installAsync, type InstallOptions, type AsyncTasks } from './install.js'
/**
 * The installation `installAsync()` made on a Sequelize instance (its
 * `tasks`), or undefined. Any value may be passed: a loader can try each
 * export of a module.
 */
export { installationOf } from './installations.js'
export { AsyncTask, type TaskStatus, type AttemptError } from './task-model.js'
export { Worker, type WorkerOptions, type WorkCounts } from './worker.js'
export type { WorkerEvents } from './worker-events.js'
export type { WorkerInfo } from './presence.js'
export type { RecurringTask } from './recurring.js'
export type { Retention } from './retention.js'
/** The Content-Type to serve `tasks.metrics()` with: Prometheus text format 0.0.4. */
export { METRICS_CONTENT_TYPE, type MetricsOptions } from './metrics/index.js'
export {
  dashboard,
  startDashboardServer,
  DashboardConfigError,
  type DashboardOptions,
  type DashboardHandler,
  type DashboardServer,
  type DashboardServerOptions,
  type SessionOptions,
  type SessionRecord,
  type SessionStore,
} from './dashboard/index.js'
export type { EnqueueOptions } from './options.js'
export type { EnqueueItem, EnqueueManyOptions } from './enqueue-many.js'
export type { RecordTasksOptions } from './record-tasks.js'
export type { OnDestroy } from './destroy-hooks.js'
export type { FlowOptions } from './flow-options.js'
export type { QueueLimits, QueueStates } from './queue-limits.js'
export type { AsyncCapable, MethodName, MethodArgs } from './typing.js'
export { currentTask, type TaskContext } from './task-context.js'
export { RecordRef } from './record-ref.js'
export { serialize, deserialize } from './serializer.js'
export { migrationSteps } from './migrations/index.js'
export type { MigrationStep, SequelizeStatic } from './migrations/step.js'
export type { Logger } from './logger.js'
export type { Backoff } from './backoff.js'
export { defaultBackoff } from './backoff.js'
export {
  AsyncTaskError,
  SerializationError,
  EnqueueError,
  RecordNotFoundError,
  UnknownTargetError,
  TimeoutError,
  WorkerLostError,
  CancelledError,
  DependencyError,
} from './errors.js'
