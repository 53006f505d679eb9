import type { WorkerFlags } from './args.js'
import { readyLine } from './worker-name.js'
import { ConfigError, workerSettings, type HostConfig, type TasksHandle } from './host-config.js'
import { metricsEndpoint, serveMetrics } from './metrics-server.js'

/** How a worker process reacts to a signal once it is already stopping. */
export type RepeatedSignal =
  /** foreground: a second TERM/INT exits at once, as users expect of Ctrl-C twice */
  | 'exit'
  /** daemon: a repeated TERM is ignored (supervisors re-send it), INT still exits */
  | 'ignore-term'

/** Options of {@link runWorker}. */
export interface RunOptions {
  config: HostConfig
  flags: WorkerFlags
  name: string
  /** the daemon's uid (its metrics port is `--metrics-port` + uid − 1) */
  uid?: number
  repeated: RepeatedSignal
  /** called once the worker loop runs */
  onReady?: () => void
}

const log = (message: string) => console.log(`${timestamp()} ${message}`)

/** `2026-11-27 20:11:05`, the format of the worker's own task lines. */
export function timestamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19)
}

/**
 * Runs a worker until SIGTERM/SIGINT. The first signal stops claiming and
 * lets running tasks finish (worker.stop()); the process then exits 0.
 */
export async function runWorker(options: RunOptions): Promise<void> {
  // A bad metrics setting fails before the app loads; a taken port before a task is claimed.
  const endpoint = metricsEndpoint(options.flags, options.uid)
  const tasks = await options.config.load()
  const worker = tasks.createWorker(workerSettings(options.config, options.flags, options.name))
  const metrics = endpoint && (await serveMetricsOf(tasks, endpoint, options.config))
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      stopping = true
      log(`${options.name}: ${signal} received, finishing running tasks (again to exit now)`)
      worker
        .stop()
        .then(
          () => new Promise((resolve) => (metrics ? metrics.close(resolve) : resolve(undefined))),
        )
        .then(() => closeDatabase(tasks, options.config))
        .then(
          () => exit(0, `${options.name}: stopped`),
          (error: unknown) => exit(1, `${options.name}: stop failed: ${describe(error)}`),
        )
    } else if (signal === 'SIGTERM' && options.repeated === 'ignore-term') {
      log(`${options.name}: already stopping, SIGTERM ignored`)
    } else {
      exit(1, `${options.name}: ${signal} again, exiting without waiting`)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  await worker.start()
  log(readyLine(options.name))
  if (endpoint) log(`${options.name}: metrics at http://${hostPort(endpoint)}/metrics`)
  options.onReady?.()
}

async function serveMetricsOf(
  tasks: TasksHandle,
  endpoint: NonNullable<ReturnType<typeof metricsEndpoint>>,
  config: HostConfig,
) {
  const collect = tasks.metrics?.bind(tasks)
  try {
    if (!collect)
      throw new ConfigError(
        "--metrics-port needs the installation's metrics(): config/async.cjs must return installAsync()'s result.",
      )
    return await serveMetrics(endpoint, collect)
  } catch (error) {
    await closeDatabase(tasks, config) // else the open pool keeps the failed process alive
    throw error
  }
}

const hostPort = ({ host, port }: { host: string; port: number }): string =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`

/** Runs every due task once, then closes the database. */
export async function workOff(config: HostConfig, flags: WorkerFlags, name: string) {
  const tasks = await config.load()
  const worker = tasks.createWorker(workerSettings(config, flags, name))
  const counts = await worker.workOff()
  await closeDatabase(tasks, config)
  console.log(`${timestamp()} ${name}: ${counts.succeeded} succeeded, ${counts.failed} failed`)
  return counts
}

/**
 * Closes the app's connection pool so the process can end on its own:
 * config/async.cjs close() when it has one (a Nest app context), else Sequelize's.
 */
export async function closeDatabase(tasks: TasksHandle, config?: HostConfig): Promise<void> {
  if (config?.close) await config.close()
  else await tasks.AsyncTask.sequelize?.close()
}

function exit(code: number, message: string): never {
  log(message)
  process.exit(code)
}

/** An error as one line for the log, with its stack when there is one. */
export function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}
