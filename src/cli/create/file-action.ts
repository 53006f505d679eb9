import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

import type { CustomActionConfig, NodePlopAPI } from 'node-plop'

/** The data every action sees: the answers plus the run's switches. */
export interface ActionData {
  root: string
  force: boolean
  dryRun: boolean
}

/** An `async-file` action: one template rendered to one host file. */
export interface FileActionConfig {
  type: 'async-file'
  /** destination, relative to the app root */
  path: string
  /** absolute template path */
  templateFile: string
  /** file mode, e.g. 0o755 for script/async */
  mode?: number
}

/**
 * Writes one file, unless it exists and --force is off, or --dry-run is on.
 * Plop's own `add` action neither dry-runs nor reports a skip, and both are
 * what a user re-running create-async after an upgrade needs to see.
 */
export function fileAction(
  data: ActionData,
  config: FileActionConfig,
  plop: Pick<NodePlopAPI, 'renderString'>,
): string {
  const target = join(data.root, config.path)
  const exists = existsSync(target)
  if (exists && !data.force) return `skip      ${config.path} (exists; --force overwrites)`
  const verb = exists ? 'overwrite' : 'create'
  if (data.dryRun) return `would ${verb.padEnd(9)} ${config.path}`
  const text = plop.renderString(readFileSync(config.templateFile, 'utf8'), data)
  mkdirSync(dirname(target), { recursive: true })
  writeFileSync(target, text)
  // chmod too: writeFileSync's mode applies only to new files, minus the umask.
  if (config.mode !== undefined) chmodSync(target, config.mode)
  return `${verb.padEnd(9)} ${config.path}`
}

/** Adapts {@link fileAction} to plop's custom action signature. */
export function plopFileAction(
  answers: object,
  config: CustomActionConfig<string>,
  plop: NodePlopAPI,
): string {
  return fileAction(answers as ActionData, config as unknown as FileActionConfig, plop)
}
