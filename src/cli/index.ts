// The commands behind a host app's `script/async`. Built to dist/cli.cjs:
// CommonJS, because the daemon side must load daemonize2 from CommonJS.
import { parseCommandLine, USAGE, UsageError, type ParsedArgs } from './args.js'
import { EXIT, start, status, stop } from './daemons.js'
import { closeDatabase, describe, runWorker, workOff } from './foreground.js'
import {
  ConfigError,
  daemonSettings,
  readHostConfig,
  rootOf,
  type DaemonSettings,
} from './host-config.js'
import { knownUids } from './pidfile.js'
import type { AsyncTasks } from '../install.js'
import { INSPECT_USAGE, isInspectCommand, parseInspect, type InspectArgs } from './inspect/args.js'
import { runInspect } from './inspect/index.js'
import { serveDashboard } from './inspect/serve.js'
import { workerName } from './worker-name.js'

/** What `script/async` passes in. */
export interface CliOptions {
  /** absolute path of config/async.cjs */
  configPath: string
  /** the app root; defaults to the parent of the config directory */
  root?: string
  argv: string[]
}

/**
 * Runs one `script/async` command and resolves with its exit code. The
 * foreground worker resolves once it runs and ends the process itself on
 * SIGTERM/SIGINT.
 */
export async function run(options: CliOptions): Promise<number> {
  try {
    const word = options.argv.find((arg) => !arg.startsWith('-'))
    if (isInspectCommand(word)) return await inspect(options, parseInspect(options.argv))
    const args = parseCommandLine(options.argv)
    if (args.command === 'help') {
      console.log(`${USAGE}${INSPECT_USAGE}`)
      return EXIT.ok
    }
    return await dispatch(args, options)
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}${INSPECT_USAGE}`)
      return 64 // EX_USAGE
    }
    console.error(error instanceof ConfigError ? error.message : describe(error))
    return EXIT.failed
  }
}

async function dispatch(args: ParsedArgs, options: CliOptions): Promise<number> {
  const config = readHostConfig(options.configPath)
  const root = options.root ?? rootOf(options.configPath)
  const settings = daemonSettings(root, options.configPath, config)
  const uids = () => (args.uid === undefined ? knownUids(settings.pidDir) : [args.uid])
  switch (args.command) {
    case 'start':
      return start(settings, args.uid, args.flags)
    case 'stop':
      return stop(settings, uids())
    case 'status':
      return status(settings, uids())
    case 'restart':
      return restart(settings, args)
    case 'work-off':
      await workOff(config, args.flags, workerName())
      return EXIT.ok
    default:
      await runWorker({ config, flags: args.flags, name: workerName(), repeated: 'exit' })
      return EXIT.ok
  }
}

/** list, show, retry, cancel, stats, prune, pause, resume, dashboard: on the app's own tasks. */
async function inspect(options: CliOptions, args: InspectArgs): Promise<number> {
  const config = readHostConfig(options.configPath)
  const tasks = (await config.load()) as unknown as AsyncTasks
  if (args.command === 'dashboard') {
    await serveDashboard(tasks, args)
    return EXIT.ok // the server keeps the process alive until SIGTERM/SIGINT
  }
  try {
    await runInspect(tasks, args)
  } finally {
    await closeDatabase(tasks, config)
  }
  return EXIT.ok
}

/** Restarts `--uid=N`, or every daemon with a pidfile (starting one if none has). */
async function restart(settings: DaemonSettings, args: ParsedArgs): Promise<number> {
  const uids = args.uid === undefined ? knownUids(settings.pidDir) : [args.uid]
  await stop(settings, uids)
  if (uids.length === 0) return start(settings, undefined, args.flags)
  let code: number = EXIT.ok
  for (const uid of uids) code = Math.max(code, await start(settings, uid, args.flags))
  return code
}
