import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

import type { HostLayout } from './host-layout.js'
import type { TemplateData } from './plan.js'

const ADD: Record<HostLayout['packageManager'], string> = {
  npm: 'npm i',
  pnpm: 'pnpm add',
  yarn: 'yarn add',
  bun: 'bun add',
}

/**
 * What to do after create-async, for this host's layout and package manager.
 * Names only files that exist (or that step 1 asks to create).
 */
export function nextSteps(layout: HostLayout, data: TemplateData): string {
  const migrate = layout.compiled || layout.migrationTypeScript
  // Without a sequelize-cli config (a Nest app configured in forRoot), --url gives the connection.
  const migrateCommand = layout.hasCliConfig
    ? data.migrateCommand
    : `${data.migrateCommand} --url "$DATABASE_URL"`
  const lines = [
    '',
    'Next steps:',
    ...(layout.nestModule ? nestInstall(layout) : install(layout)),
    migrate
      ? `  2. Build, then create the tasks table:   ${data.buildCommand} && ${migrateCommand}`
      : `  2. Create the tasks table:   ${migrateCommand}`,
    ...(layout.hasCliConfig
      ? []
      : [
          '     (no sequelize-cli config found: --url takes your connection URL, or add config/config.json)',
        ]),
    ...(layout.hasSequelizeCli
      ? []
      : [
          `     (sequelize-cli runs it; add it first: ${ADD[layout.packageManager]} -D sequelize-cli)`,
        ]),
    ...(layout.migrationTypeScript
      ? [
          `     (the migration is in ${layout.migrationsDir}, which the build compiles into ${layout.migrationsRunDir})`,
        ]
      : []),
    "  3. Enqueue from the app:     await order.async('sendConfirmationEmail')",
    '  4. Run workers:              node script/async          (foreground, Ctrl-C stops)',
    '                               node script/async start    (daemon; add --uid=N for more)',
    '                               node script/async stop     (stops them all)',
    `  Production: pm2 start config/async.pm2.config.cjs --env production (${data.workers} workers),`,
    '  or config/systemd/async-worker@.service; deploy tasks are in config/deploy/.',
  ]
  if (layout.compiled || layout.nestModule) {
    lines.push(
      `  Workers load the build (${layout.nestBundle ?? layout.nestModule ?? layout.modelsEntry}): run ${data.buildCommand} before starting them.`,
    )
  } else if (layout.typescript && !layout.hasTsx) {
    lines.push(
      `  Your models are TypeScript: the worker loads them with tsx, so add it: ${ADD[layout.packageManager]} tsx`,
    )
  }
  return lines.join('\n')
}

function install(layout: HostLayout): string[] {
  const source = layout.modelsSource
  if (installed(layout.root, source)) {
    return [`  1. ${source} already calls installAsync; config/async.cjs uses that installation.`]
  }
  const esmSyntax = layout.importModels || /\.[cm]?ts$/.test(source)
  const load = esmSyntax
    ? "import { installAsync } from 'sequelize-async'"
    : "const { installAsync } = require('sequelize-async')"
  const exported = esmSyntax ? 'export const tasks =' : 'db.tasks ='
  const where = existsSync(join(layout.root, source))
    ? `In ${source}`
    : `In the file that creates your Sequelize instance (then pass --models=FILE; ${source} does not exist)`
  return [
    `  1. ${where}, once the models are defined, install async and export it:`,
    `       ${load}`,
    `       ${exported} installAsync(sequelize, { classes: { /* plain classes a worker may run */ } })`,
    '     config/async.cjs loads that file and uses its installation.',
  ]
}

function nestInstall(layout: HostLayout): string[] {
  const module = `${layout.build?.rootDir ?? 'src'}/app.module.ts`
  const file = join(layout.root, module)
  const main = `${layout.build?.rootDir ?? 'src'}/main.ts`
  const bundled = layout.nestBundle
    ? [
        `     The app is bundled (${layout.nestBundle}): in ${main}, first thing in bootstrap():`,
        "       if (await startAsWorker(AppModule)) return   // from 'sequelize-async/nest'",
      ]
    : []
  if (existsSync(file) && readFileSync(file, 'utf8').includes('SequelizeAsyncModule')) {
    return [
      `  1. ${module} already imports SequelizeAsyncModule; config/async.cjs boots AppModule without HTTP for each worker.`,
      ...bundled,
    ]
  }
  return [
    `  1. In ${module}, add to the imports of AppModule (after SequelizeModule.forRoot…):`,
    "       import { SequelizeAsyncModule } from 'sequelize-async/nest'",
    '       SequelizeAsyncModule.forRootAsync({ useFactory: () => ({ maxAttempts: 3 }) }),',
    '     and inject it where you enqueue: constructor(@InjectTasks() tasks: AsyncTasks).',
    '     config/async.cjs boots AppModule without HTTP for each worker.',
    ...bundled,
  ]
}

/** Whether the models entry already installs async (a re-run, or done by hand). */
function installed(root: string, path: string): boolean {
  const entry = join(root, path)
  return existsSync(entry) && readFileSync(entry, 'utf8').includes('installAsync(')
}
