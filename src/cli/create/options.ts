import { posix } from 'node:path'
import { parseArgs } from 'node:util'

/** Answers of the prompts; each also has a flag. */
export interface PromptAnswers {
  workers: number
  maxMemory: string
  deployTo: string
}

/** A parsed `create-async` command line. */
export interface CreateOptions {
  force: boolean
  dryRun: boolean
  /** take defaults for every prompt without a flag (implied without a TTY) */
  yes: boolean
  help: boolean
  migrations?: string
  models?: string
  /** answers given as flags */
  given: Partial<PromptAnswers>
}

/** Thrown for a command line create-async cannot act on. */
export class CreateUsageError extends Error {
  override name = 'CreateUsageError'
}

/** Parses `create-async [--force] [--dry-run] [--yes] [--workers=N] ...`. */
export function parseCreateArgs(argv: string[]): CreateOptions {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        force: { type: 'boolean', short: 'f' },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        help: { type: 'boolean', short: 'h' },
        migrations: { type: 'string' },
        models: { type: 'string' },
        workers: { type: 'string' },
        'max-memory': { type: 'string' },
        'deploy-to': { type: 'string' },
      },
    }))
  } catch (error) {
    throw new CreateUsageError((error as Error).message)
  }
  const given: Partial<PromptAnswers> = {}
  if (values.workers !== undefined) given.workers = workerCount(values.workers)
  if (values['max-memory'] !== undefined) given.maxMemory = memoryLimit(values['max-memory'])
  if (values['deploy-to'] !== undefined) given.deployTo = deployPath(values['deploy-to'])
  for (const flag of ['migrations', 'models'] as const) {
    const path = values[flag]
    if (path !== undefined && CONTROL.test(path)) {
      throw new CreateUsageError(
        `--${flag} holds a control character (a line break?): ${JSON.stringify(path)}; pass the path alone`,
      )
    }
  }
  return {
    force: values.force ?? false,
    dryRun: values['dry-run'] ?? false,
    yes: values.yes ?? false,
    help: values.help ?? false,
    migrations: values.migrations,
    models: values.models,
    given,
  }
}

/** `--workers`: how many workers PM2 and systemd run. */
export function workerCount(text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    throw new CreateUsageError(`--workers must be a positive integer, got "${text}"`)
  }
  return value
}

/** `--max-memory`: PM2's max_memory_restart and systemd's MemoryMax, e.g. 300M or 1G. */
export function memoryLimit(text: string): string {
  if (!/^\d+[KMG]$/.test(text)) {
    throw new CreateUsageError(`--max-memory takes a size like 300M or 1G, got "${text}"`)
  }
  return text
}

// eslint-disable-next-line no-control-regex -- control characters are what it matches
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/

/**
 * `--deploy-to`: the deploy root on the servers, written into the systemd
 * unit, the PM2 deploy file and comments. An absolute, normalized POSIX path
 * on one line; spaces, quotes, `$` or `%` are fine, each file escapes them.
 */
export function deployPath(text: string): string {
  const path = text.length > 1 ? text.replace(/\/+$/, '') : text
  const problem = !path.startsWith('/')
    ? 'is not absolute: give the full path, e.g. /var/www/shop'
    : CONTROL.test(path)
      ? 'holds a control character (a line break?): give the path on one line'
      : path.includes('\\')
        ? 'holds a backslash: deploy roots are POSIX paths, use / only'
        : path !== path.trim()
          ? 'begins or ends with a space: remove it'
          : posix.normalize(path) !== path
            ? `is not normalized: use ${posix.normalize(path)} (no ., .. or //)`
            : null
  if (problem) throw new CreateUsageError(`--deploy-to ${JSON.stringify(text)} ${problem}`)
  return path
}

/** Prompt defaults for an app named `name`. */
export function defaultAnswers(name: string): PromptAnswers {
  return { workers: 2, maxMemory: '300M', deployTo: `/var/www/${name}` }
}

export const CREATE_USAGE = `Usage: npx create-async [options]

Run in the root of a Sequelize app. Writes the async_tasks migration,
script/async, config/async.cjs, PM2 and systemd files, deploy snippets,
log/ and tmp/pids/. Existing files are kept unless --force.

Options:
  --force, -f          overwrite files that exist
  --dry-run            print what would be written, write nothing
  --yes, -y            take the default for every question not given as a flag
  --workers=N          workers PM2 and systemd run (default 2)
  --max-memory=SIZE    restart a worker above this memory, e.g. 300M (default)
  --deploy-to=PATH     deploy root on the servers (default /var/www/<name>)
  --migrations=DIR     migrations directory (default: .sequelizerc, else migrations/)
  --models=FILE        models entry exporting sequelize (default: <models-path>/index.*)
`
