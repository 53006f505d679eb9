import { fileURLToPath } from 'node:url'

import type { ActionData, FileActionConfig } from './file-action.js'
import type { HostLayout } from './host-layout.js'
import type { MigrationPlan } from './migration-plan.js'
import type { PromptAnswers } from './options.js'

/**
 * Everything the templates substitute; computed here, never in a template.
 * Templates write each value through the escape of their language
 * (template-escapes.ts): `{{js x}}`, `{{unit x}}`, `{{exec x}}`, `{{text x}}`.
 */
export interface TemplateData extends ActionData, PromptAnswers {
  name: string
  /** the release directory on the servers: `<deployTo>/current` */
  appDir: string
  /** `<appDir>/script/async`, the systemd unit's command */
  scriptPath: string
  /** `<deployTo>/shared/.env`, the unit's commented EnvironmentFile */
  envFile: string
  /** the placeholder git URL of the PM2 deploy file */
  exampleRepo: string
  /** `{1..N}`: brace expansion of the systemd instances to enable */
  workerRange: string
  modelsEntry: string
  /** config/async.cjs loads the app's build output */
  compiled: boolean
  /** a NestJS app: the compiled AppModule file the worker boots */
  nestModule: string | null
  /** a bundled Nest app: the bundle the worker runs in worker mode */
  nestBundle: string | null
  /** the command that builds the app, e.g. `npm run build` */
  buildCommand: string
  importModels: boolean
  esm: boolean
  typescript: boolean
  dotenv: boolean
  /** the schema steps the migration applies */
  steps: string[]
  packageVersion: string
  installCommand: string
  migrateCommand: string
}

const TEMPLATES = fileURLToPath(new URL('../templates/', import.meta.url))

const COMMANDS: Record<
  HostLayout['packageManager'],
  { install: string; exec: string; run: string }
> = {
  npm: { install: 'npm ci', exec: 'npx', run: 'npm run' },
  pnpm: { install: 'pnpm install --frozen-lockfile', exec: 'pnpm exec', run: 'pnpm run' },
  yarn: { install: 'yarn install --frozen-lockfile', exec: 'yarn', run: 'yarn run' },
  bun: { install: 'bun install --frozen-lockfile', exec: 'bunx', run: 'bun run' },
}

/** The values the templates need, from the layout and the answers. */
export function templateData(
  layout: HostLayout,
  answers: PromptAnswers,
  run: ActionData,
  migration: MigrationPlan | null,
  packageVersion: string,
): TemplateData {
  const commands = COMMANDS[layout.packageManager]
  const deployTo = answers.deployTo === '/' ? '' : answers.deployTo
  const appDir = `${deployTo}/current`
  return {
    ...run,
    ...answers,
    name: layout.name,
    appDir,
    scriptPath: `${appDir}/script/async`,
    envFile: `${deployTo}/shared/.env`,
    exampleRepo: `git@example.com:you/${layout.name}.git`,
    workerRange: `{1..${answers.workers}}`,
    modelsEntry: layout.modelsEntry,
    compiled: layout.compiled,
    nestModule: layout.nestModule,
    nestBundle: layout.nestBundle,
    buildCommand: layout.hasBuildScript
      ? `${commands.run} build`
      : `${commands.exec} tsc -p ${layout.build?.tsconfig ?? 'tsconfig.json'}`,
    importModels: layout.importModels,
    esm: layout.esm,
    typescript: layout.typescript,
    dotenv: layout.hasDotenv,
    steps: migration?.steps ?? [],
    packageVersion,
    installCommand: commands.install,
    migrateCommand: `${commands.exec} sequelize-cli db:migrate`,
  }
}

const file = (path: string, template: string, mode?: number): FileActionConfig => ({
  type: 'async-file',
  path,
  templateFile: `${TEMPLATES}${template}`,
  mode,
})

/** The files create-async writes, in the order it reports them. */
export function plannedFiles(
  migration: MigrationPlan | null,
  esm: boolean,
  nest: boolean,
): FileActionConfig[] {
  return [
    ...(migration
      ? [
          migration.file.endsWith('.ts')
            ? file(migration.file, 'migrations/create-async-tasks.ts.hbs')
            : file(migration.file, 'migrations/create-async-tasks.cjs.hbs'),
        ]
      : []),
    file('script/async', 'script/async.hbs', 0o755),
    // An extension-less file is an ES module in a "type": "module" app;
    // script/async is CommonJS, so its directory says so.
    ...(esm ? [file('script/package.json', 'script/package.json.hbs')] : []),
    nest
      ? file('config/async.cjs', 'config/async.nest.cjs.hbs')
      : file('config/async.cjs', 'config/async.cjs.hbs'),
    file('config/async.pm2.config.cjs', 'config/async.pm2.config.cjs.hbs'),
    file('config/systemd/async-worker@.service', 'config/systemd/async-worker@.service.hbs'),
    file('config/deploy/async-commands.cjs', 'config/deploy/async-commands.cjs.hbs'),
    file('config/deploy/shipit-async.cjs', 'config/deploy/shipit-async.cjs.hbs'),
    file('config/deploy/pm2-deploy.cjs', 'config/deploy/pm2-deploy.cjs.hbs'),
    // The directories exist before the first start; git keeps them, not their logs and pids.
    file('log/.gitignore', 'gitignore/keep-dir.gitignore.hbs'),
    file('tmp/pids/.gitignore', 'gitignore/keep-dir.gitignore.hbs'),
  ]
}
