/**
 * Command lines of the inspection commands: `list`, `show ID`, `retry ID|--failed`,
 * `cancel ID`, `stats`, `prune`, `pause QUEUE`, `resume QUEUE`, `dashboard`.
 */
import { parseArgs } from 'node:util'
import { UsageError } from '../args.js'

export const INSPECT_COMMANDS = [
  'list',
  'show',
  'retry',
  'cancel',
  'stats',
  'prune',
  'pause',
  'resume',
  'dashboard',
] as const

export type InspectCommand = (typeof INSPECT_COMMANDS)[number]

export interface InspectArgs {
  command: InspectCommand
  /** The task id or queue name after the command. */
  subject?: string
  status?: string
  queue?: string
  target?: string
  /** `--object=Order:17`: the tasks of one record. */
  object?: { type: string; id: string }
  limit: number
  json: boolean
  failed: boolean
  port: number
  host: string
  token?: string
}

export function isInspectCommand(word: string | undefined): word is InspectCommand {
  return (INSPECT_COMMANDS as readonly string[]).includes(word ?? '')
}

export function parseInspect(argv: string[]): InspectArgs {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        status: { type: 'string' },
        queue: { type: 'string' },
        target: { type: 'string' },
        object: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        failed: { type: 'boolean' },
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
      },
    })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  const [command, subject, ...extra] = positionals
  if (!isInspectCommand(command)) throw new UsageError(`Unknown command "${command ?? ''}"`)
  if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra.join(' ')}`)
  const limit = Number(values.limit ?? 20)
  const port = Number(values.port ?? 4400)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError('--limit takes 1 to 10000')
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError('--port takes 0 to 65535')
  const object = values.object === undefined ? undefined : parseObject(values.object)
  if (object && values.target !== undefined)
    throw new UsageError('--object names the target already; drop --target')
  return {
    command,
    subject,
    status: values.status,
    queue: values.queue,
    target: values.target,
    object,
    limit,
    json: values.json ?? false,
    failed: values.failed ?? false,
    port,
    host: values.host ?? '127.0.0.1',
    // ASYNC_DASHBOARD_TOKEN is read by serve.ts, after the app's config loaded its .env.
    token: values.token,
  }
}

/** `Order:17` → the model name and the record's id (which may itself hold colons). */
function parseObject(text: string): { type: string; id: string } {
  const at = text.indexOf(':')
  if (at < 1 || at === text.length - 1)
    throw new UsageError('--object takes Model:id, e.g. --object=Order:17')
  return { type: text.slice(0, at), id: text.slice(at + 1) }
}

/** The numeric task id after the command, or a usage error saying what is missing. */
export function taskId(args: InspectArgs): number {
  const id = Number(args.subject)
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new UsageError(`${args.command} takes a task id, e.g. script/async ${args.command} 42`)
  }
  return id
}

export const INSPECT_USAGE = `
Inspection:
  list [--status=S] [--queue=Q] [--target=Order | --object=Order:17] [--limit=20] [--json]
                     the newest tasks, filtered (--object: one record's tasks)
  show ID [--json]   one task: args, result, every attempt's error and stack
  retry ID | --failed
                     run a failed or cancelled task again (or every failed one)
  cancel ID          cancel a pending task, or ask a running one to stop
  stats [--json]     counts per status and queue; the last hour's throughput and latency
  prune              delete finished tasks past their retention now
  pause QUEUE | resume QUEUE
                     stop / restart claiming from a queue, on every worker
  dashboard [--port=4400] [--host=127.0.0.1] [--token=T]
                     serve the web dashboard; the login token (16+ characters) comes
                     from ASYNC_DASHBOARD_TOKEN, e.g. "$(openssl rand -hex 24)"
`
