import { parseArgs } from 'node:util'

/** The commands of `script/async`. */
export type Command = 'run' | 'start' | 'stop' | 'restart' | 'status' | 'work-off' | 'help'

/** Worker settings a user may override on the command line. */
export interface WorkerFlags {
  /** seconds between polls (`--sleep`) */
  sleep?: number
  concurrency?: number
  queues?: string[]
  /** serve this process's Prometheus metrics on this port (`--metrics-port`; daemon N: port + N − 1) */
  metricsPort?: number
  /** the address for it (`--metrics-host`, default 127.0.0.1) */
  metricsHost?: string
}

/** A parsed `script/async` command line. */
export interface ParsedArgs {
  command: Command
  uid?: number
  flags: WorkerFlags
}

const COMMANDS: readonly Command[] = [
  'run',
  'start',
  'stop',
  'restart',
  'status',
  'work-off',
  'help',
]

/** Thrown for a command line we cannot act on; the CLI prints it with usage. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Parses `script/async [command] [--uid=N] [--sleep=S] [--concurrency=N] [--queues=a,b]`. */
export function parseCommandLine(argv: string[]): ParsedArgs {
  const { values, positionals } = parse(argv)
  const [word = 'run', ...extra] = positionals
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra.join(' ')}`)
  if (!(COMMANDS as readonly string[]).includes(word)) {
    throw new UsageError(`Unknown command "${word}"`)
  }
  const command = values.help ? 'help' : (word as Command)
  return {
    command,
    uid: positiveInteger('uid', values.uid),
    flags: workerFlags(values),
  }
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        uid: { type: 'string' },
        sleep: { type: 'string' },
        concurrency: { type: 'string' },
        queues: { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function workerFlags(values: {
  sleep?: string
  concurrency?: string
  queues?: string
  'metrics-port'?: string
  'metrics-host'?: string
}) {
  const flags: WorkerFlags = {}
  if (values.sleep !== undefined) {
    const sleep = Number(values.sleep)
    if (!(sleep > 0))
      throw new UsageError(`--sleep must be a number of seconds, got "${values.sleep}"`)
    flags.sleep = sleep
  }
  const concurrency = positiveInteger('concurrency', values.concurrency)
  if (concurrency !== undefined) flags.concurrency = concurrency
  if (values.queues !== undefined) {
    const queues = values.queues.split(',').map((queue) => queue.trim())
    if (queues.some((queue) => queue === '')) throw new UsageError('--queues takes a,b,c')
    flags.queues = queues
  }
  const metricsPort = positiveInteger('metrics-port', values['metrics-port'])
  if (metricsPort !== undefined) {
    if (metricsPort > 65535)
      throw new UsageError(`--metrics-port must be a port number, got "${metricsPort}"`)
    flags.metricsPort = metricsPort
  }
  if (values['metrics-host'] !== undefined) {
    if (values['metrics-host'].trim() === '')
      throw new UsageError('--metrics-host takes an address')
    flags.metricsHost = values['metrics-host'].trim()
  }
  return flags
}

function positiveInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`--${name} must be a positive integer, got "${text}"`)
  }
  return value
}

/** Worker flags back as arguments, to hand them to a daemon. */
export function flagsToArgv(flags: WorkerFlags): string[] {
  const argv: string[] = []
  if (flags.sleep !== undefined) argv.push(`--sleep=${flags.sleep}`)
  if (flags.concurrency !== undefined) argv.push(`--concurrency=${flags.concurrency}`)
  if (flags.queues !== undefined) argv.push(`--queues=${flags.queues.join(',')}`)
  if (flags.metricsPort !== undefined) argv.push(`--metrics-port=${flags.metricsPort}`)
  if (flags.metricsHost !== undefined) argv.push(`--metrics-host=${flags.metricsHost}`)
  return argv
}

export const USAGE = `Usage: script/async [command] [options]

Commands:
  (none) | run       run a worker in the foreground (TERM/INT: finish running tasks, exit)
  work-off           run every due task, then exit (for cron and tests)
  start [--uid=N]    start a daemon worker; without --uid, add one with the next free uid
  stop [--uid=N]     stop one daemon worker; without --uid, stop them all
  restart [--uid=N]  stop then start one daemon worker, or every known one
  status [--uid=N]   show which daemon workers run

Options:
  --sleep=S          seconds between polls when idle
  --concurrency=N    tasks run at once by one worker
  --queues=a,b       queues to work (default: the config's, else "default")
  --uid=N            which daemon worker (pidfile tmp/pids/async.N.pid, log log/async.N.log)
  --metrics-port=P   serve this worker's Prometheus metrics at http://127.0.0.1:P/metrics
                     (daemon --uid=N: port P+N-1); ASYNC_METRICS_TOKEN, if set, is required
                     as a bearer token
  --metrics-host=H   the address for it (a non-loopback one needs ASYNC_METRICS_TOKEN)
`
