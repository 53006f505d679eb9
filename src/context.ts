/**
 * What every part of one installation shares: the Sequelize instance, its
 * AsyncTask model, the registry and the settings chosen in installAsync().
 */
import type { EventEmitter } from 'node:events'
import type { ModelStatic, Sequelize } from 'sequelize'
import type { AsyncTask } from './task-model.js'
import type { Registry } from './registry.js'
import type { Logger } from './logger.js'
import type { Backoff } from './backoff.js'
import type { Retention } from './retention.js'
import type { Schedule } from './recurring.js'
import type { Lifecycle } from './lifecycle/index.js'
import type { StoredLimits } from './lifecycle/queue-limits.js'
import type { Tracing } from './tracing/index.js'
import type { TaskMetrics } from './metrics/task-metrics.js'

export interface Settings {
  /** Default number of runs before a task fails for good (1: no retry). */
  maxAttempts: number
  /** How long a claimed task stays locked without a heartbeat, in ms. */
  leaseMs: number
  /** How often a task may lose its worker before it fails with WorkerLostError. */
  maxInterruptions: number
  /** Largest stored arguments, in bytes of JSON text. */
  maxPayloadBytes: number
  /** Delay before retry number `attempt` (1-based), in ms. */
  backoff: Backoff
  logger: Logger
  /** How long finished tasks are kept; false keeps them forever. */
  retention: Required<Retention> | false
  /** PostgreSQL: a direct connection for LISTEN, when Sequelize's goes through a pooler. */
  listenUrl: string | undefined
  /** Queue limits from installAsync's `queues` (applied by workers at start). */
  queueLimits: Map<string, StoredLimits>
}

export interface Context {
  sequelize: Sequelize
  dialect: 'postgres' | 'mysql' | 'mariadb' | 'sqlite'
  AsyncTask: ModelStatic<AsyncTask>
  /** Every write of a task's state goes through it. */
  lifecycle: Lifecycle
  registry: Registry
  settings: Settings
  /** Recurring tasks, checked by every worker's upkeep. */
  schedules: Schedule[]
  /** In-process wake-up: emits 'enqueued' (queue name) after a task becomes visible. */
  events: EventEmitter
  /** OpenTelemetry spans of enqueue and execute; null when the `tracing` option is off. */
  tracing: Tracing | null
  /** This process's counters of finished tasks, for `tasks.metrics()`. */
  metrics: TaskMetrics
}
