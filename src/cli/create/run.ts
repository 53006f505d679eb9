import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import nodePlop from 'node-plop'

import { detectHostLayout, NotASequelizeAppError } from './host-layout.js'
import { planMigration } from './migration-plan.js'
import { nextSteps } from './next-steps.js'
import { CREATE_USAGE, CreateUsageError, parseCreateArgs, type CreateOptions } from './options.js'
import { templateData } from './plan.js'
import { collectAnswers, defaultAnswers } from './prompts.js'

// This code is bundled into dist/plopfile.js, so import.meta.url is the
// plopfile that node-plop must load, and the runtime sits beside it.
const PLOPFILE = fileURLToPath(import.meta.url)
const RUNTIME = new URL('./index.js', import.meta.url).href
const PACKAGE_JSON = new URL('../package.json', import.meta.url)

/** `npx create-async`: scaffolds into `cwd`; resolves with the exit code. */
export async function runCreateAsync(argv: string[], cwd: string): Promise<number> {
  let options: CreateOptions
  try {
    options = parseCreateArgs(argv)
  } catch (error) {
    if (!(error instanceof CreateUsageError)) throw error
    console.error(`${error.message}\n\n${CREATE_USAGE}`)
    return 64
  }
  if (options.help) {
    console.log(CREATE_USAGE)
    return 0
  }
  try {
    return await scaffold(options, cwd)
  } catch (error) {
    if (!(error instanceof NotASequelizeAppError || error instanceof CreateUsageError)) throw error
    console.error(`create-async: ${error.message}`)
    return 1
  }
}

async function scaffold(options: CreateOptions, cwd: string): Promise<number> {
  const layout = detectHostLayout(cwd, options)
  const plop = await nodePlop(PLOPFILE, { destBasePath: cwd, force: options.force })
  const generator = plop.getGenerator('async')
  const interactive = process.stdin.isTTY && !options.yes
  const answers = await collectAnswers(
    generator,
    options.given,
    defaultAnswers(layout.name),
    interactive,
  )
  const migration = planMigration(
    cwd,
    layout.migrationsDir,
    await packageSteps(),
    new Date(),
    layout.migrationTypeScript ? 'ts' : 'cjs',
  )
  const run = { root: cwd, force: options.force, dryRun: options.dryRun }
  const data = templateData(layout, answers, run, migration, packageVersion())
  const { changes, failures } = await generator.runActions({ ...data, migration })
  if (!migration)
    console.log(`up to date ${layout.migrationsDir} (the host has every async schema step)`)
  for (const change of changes) console.log(change.path)
  for (const failure of failures) console.error(`failed    ${describeFailure(failure)}`)
  if (failures.length > 0) return 1
  console.log(options.dryRun ? '\nDry run: nothing was written.' : nextSteps(layout, data))
  return 0
}

/** The names of the schema steps this version of the package ships. */
async function packageSteps(): Promise<string[]> {
  const runtime = (await import(RUNTIME)) as { migrationSteps: readonly { name: string }[] }
  return runtime.migrationSteps.map((step) => step.name)
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version
}

/** node-plop reports a throwing custom action without a path; show what it has. */
function describeFailure(failure: { path?: string; error?: string; message?: string }): string {
  return [failure.path, failure.error ?? failure.message].filter(Boolean).join(': ')
}
