import { createRequire } from 'node:module'
import { dirname, isAbsolute, resolve } from 'node:path'

import type { WorkerFlags } from './args.js'

/** The part of a worker the CLI drives (see `tasks.createWorker`). */
export interface WorkerHandle {
  start(): Promise<void>
  stop(): Promise<void>
  workOff(): Promise<{ succeeded: number; failed: number }>
}

/** Options the CLI passes to `tasks.createWorker`. */
export interface WorkerSettings {
  concurrency?: number
  pollInterval?: number
  queues?: string[]
  shutdownTimeout?: number
  name?: string
}

/** The part of `installAsync(...)`'s result the CLI needs. */
export interface TasksHandle {
  createWorker(options: WorkerSettings): WorkerHandle
  /** Prometheus text (`--metrics-port`). */
  metrics?(): Promise<string>
  AsyncTask: { sequelize?: { close(): Promise<void> } | null }
}

/** What `config/async.cjs` exports. */
export interface HostConfig {
  /** Loads the app and returns its `installAsync(...)` result. */
  load(): TasksHandle | Promise<TasksHandle>
  /** Closes what load() opened; default: the installation's Sequelize connection. */
  close?(): Promise<void>
  worker?: WorkerSettings
  daemon?: { pidDir?: string; logDir?: string; stopTimeout?: number; startTimeout?: number }
}

/** Where daemons keep their state, all absolute. */
export interface DaemonSettings {
  root: string
  configPath: string
  pidDir: string
  logDir: string
  /** ms `stop` waits after SIGTERM before SIGKILL */
  stopTimeout: number
  /** ms `start` waits for the worker to report that it runs */
  startTimeout: number
}

/** Thrown when config/async.cjs is missing or malformed; says how to fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** Requires config/async.cjs (CommonJS, so it loads the same way in every host). */
export function readHostConfig(configPath: string): HostConfig {
  let config: unknown
  try {
    config = createRequire(configPath)(configPath)
  } catch (error) {
    const reason = (error as Error).message
    throw new ConfigError(
      `Cannot load ${configPath}: ${reason}\nRun "npx create-async" to write it.`,
    )
  }
  if (typeof (config as HostConfig | null)?.load !== 'function') {
    throw new ConfigError(`${configPath} must export load(), returning installAsync(...)'s result`)
  }
  return config as HostConfig
}

const DEFAULT_SHUTDOWN_MS = 30_000

/** Daemon paths and timeouts: config/async.cjs values resolved against the app root. */
export function daemonSettings(
  root: string,
  configPath: string,
  config: HostConfig,
): DaemonSettings {
  const daemon = config.daemon ?? {}
  const at = (path: string) => (isAbsolute(path) ? path : resolve(root, path))
  const shutdown = config.worker?.shutdownTimeout ?? DEFAULT_SHUTDOWN_MS
  return {
    root,
    configPath,
    pidDir: at(daemon.pidDir ?? 'tmp/pids'),
    logDir: at(daemon.logDir ?? 'log'),
    // The worker gets its own shutdown timeout to finish tasks, plus time to
    // release the rest and close the database, before `stop` kills it.
    stopTimeout: daemon.stopTimeout ?? shutdown + 10_000,
    startTimeout: daemon.startTimeout ?? 30_000,
  }
}

/** The worker options: config/async.cjs, then command-line flags on top. */
export function workerSettings(
  config: HostConfig,
  flags: WorkerFlags,
  name: string,
): WorkerSettings {
  const settings: WorkerSettings = { ...config.worker, name }
  if (flags.sleep !== undefined) settings.pollInterval = Math.round(flags.sleep * 1000)
  if (flags.concurrency !== undefined) settings.concurrency = flags.concurrency
  if (flags.queues !== undefined) settings.queues = flags.queues
  return settings
}

/** The app root of a config file in `<root>/config/`. */
export function rootOf(configPath: string): string {
  return dirname(dirname(configPath))
}
