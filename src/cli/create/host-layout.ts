import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

import {
  compiledOf,
  readTypeScriptBuild,
  sourceOf,
  type TypeScriptBuild,
} from './typescript-build.js'

/** What create-async learns about the host app before writing anything. */
export interface HostLayout {
  root: string
  /** package.json name, as a slug fit for process and unit names */
  name: string
  /** package.json "type": "module" */
  esm: boolean
  typescript: boolean
  packageManager: 'npm' | 'pnpm' | 'yarn' | 'bun'
  /** the rest are paths relative to root, with forward slashes */
  /** where the migration is written: the source folder when .sequelizerc points at the build */
  migrationsDir: string
  /** where sequelize-cli runs migrations from (.sequelizerc), e.g. dist/db/migrations */
  migrationsRunDir: string
  /** the migration is TypeScript, compiled by the app's build into migrationsRunDir */
  migrationTypeScript: boolean
  /** the file config/async.cjs loads: the compiled models entry when the app is built */
  modelsEntry: string
  /** the models entry as the app's authors edit it (its source) */
  modelsSource: string
  /** modelsEntry is build output: the worker needs `build` to have run */
  compiled: boolean
  /** the models entry must be loaded with import() rather than require() */
  importModels: boolean
  hasDotenv: boolean
  hasTsx: boolean
  /** models declared with sequelize-typescript decorators */
  sequelizeTypescript: boolean
  /** a NestJS app: the compiled root module the worker boots, e.g. dist/app.module.js */
  nestModule: string | null
  /** a Nest app built into one bundle (nest-cli.json webpack): the bundle the worker runs */
  nestBundle: string | null
  /** the app's TypeScript build, when tsconfig.json emits */
  build: TypeScriptBuild | null
  /** package.json has a `build` script */
  hasBuildScript: boolean
  /** sequelize-cli is a dependency of the app */
  hasSequelizeCli: boolean
  /** sequelize-cli finds a config (.sequelizerc config/url, or config/config.json|js) */
  hasCliConfig: boolean
}

/** Paths the user gives on the command line instead of detection. */
export interface LayoutOverrides {
  migrations?: string
  models?: string
}

/** Thrown when create-async runs outside a Sequelize app. */
export class NotASequelizeAppError extends Error {
  override name = 'NotASequelizeAppError'
}

interface PackageJson {
  name?: string
  type?: string
  scripts?: Record<string, string>
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** Reads the host's package.json, sequelize-cli's .sequelizerc and its files. */
export function detectHostLayout(root: string, overrides: LayoutOverrides = {}): HostLayout {
  const pkg = readPackageJson(root)
  const deps = { ...pkg.peerDependencies, ...pkg.devDependencies, ...pkg.dependencies }
  if (!('sequelize' in deps)) {
    throw new NotASequelizeAppError(
      `${root} is not a Sequelize app: its package.json does not depend on "sequelize".\n` +
        'Run create-async from the root of your app (where package.json lists sequelize).',
    )
  }
  const rc = readSequelizerc(root)
  const rel = (path: string) => toPosix(relative(root, resolve(root, path)))
  const build = 'typescript' in deps ? readTypeScriptBuild(root) : null
  // Paths of a .sequelizerc that points at the build (dist/…) map back to the
  // source folder tsc compiles from: writing into dist/ is lost at the next build.
  const toSource = (path: string) => (build && sourceOf(build, path)) ?? path
  const migrationsRunDir = rel(overrides.migrations ?? rc['migrations-path'] ?? 'migrations')
  const migrationsDir = toSource(migrationsRunDir)
  const modelsDir = rel(rc['models-path'] ?? 'models')
  const modelsSource = overrides.models
    ? toSource(rel(overrides.models))
    : findModelsEntry(root, toSource(modelsDir), 'typescript' in deps)
  const sequelizeTypescript = 'sequelize-typescript' in deps
  const nest = '@nestjs/core' in deps
  // Decorators need the metadata only tsc emits (tsx does not), and a
  // dist-path app runs its build anyway: such apps' workers load the build.
  const useBuild =
    build !== null &&
    (sequelizeTypescript ||
      nest ||
      migrationsDir !== migrationsRunDir ||
      toSource(modelsDir) !== modelsDir)
  const compiledEntry = useBuild ? compiledOf(build, modelsSource) : null
  const modelsEntry = compiledEntry ?? modelsSource
  const esm = pkg.type === 'module'
  return {
    root,
    name: slug(pkg.name ?? 'app'),
    esm,
    typescript: /\.[cm]?ts$/.test(modelsEntry),
    packageManager: detectPackageManager(root),
    migrationsDir,
    migrationsRunDir,
    migrationTypeScript: migrationsDir !== migrationsRunDir,
    modelsEntry,
    modelsSource,
    compiled: compiledEntry !== null,
    importModels: /\.m[jt]s$/.test(modelsEntry) || (esm && /\.[jt]s$/.test(modelsEntry)),
    hasDotenv: 'dotenv' in deps,
    hasTsx: 'tsx' in deps,
    sequelizeTypescript,
    nestModule: nest && build ? compiledOf(build, `${build.rootDir}/app.module.ts`) : null,
    nestBundle:
      nest && build && (bundledNest(root) || webpackScript(pkg.scripts?.build))
        ? `${build.outDir}/main.js`
        : null,
    build,
    hasBuildScript: typeof pkg.scripts?.build === 'string',
    hasSequelizeCli: 'sequelize-cli' in deps,
    hasCliConfig: hasCliConfig(root, rc),
  }
}

/**
 * Whether `sequelize-cli db:migrate` finds a connection without flags: a
 * .sequelizerc `url` or `config` file, else its default config/config.json
 * (or .js). A Nest app configured in SequelizeModule.forRoot has none.
 */
function hasCliConfig(root: string, rc: Record<string, string | undefined>): boolean {
  if (rc.url) return true
  if (rc.config) return existsSync(resolve(root, rc.config))
  return ['config.json', 'config.js', 'config.cjs'].some((name) =>
    existsSync(join(root, 'config', name)),
  )
}

/** nest-cli.json asks for webpack: `nest build` writes one dist/main.js. */
function bundledNest(root: string): boolean {
  const file = join(root, 'nest-cli.json')
  if (!existsSync(file)) return false
  try {
    const options = (JSON.parse(readFileSync(file, 'utf8')) as NestCli).compilerOptions ?? {}
    const builder = options.builder
    return (
      options.webpack === true ||
      builder === 'webpack' ||
      (typeof builder === 'object' && builder.type === 'webpack')
    )
  } catch {
    return false
  }
}

/**
 * The build script asks for webpack on the command line (`nest build --webpack`,
 * `nest build -b webpack`, `--builder=webpack`), as nest-cli.json may not say.
 */
export function webpackScript(script: string | undefined): boolean {
  if (!script) return false
  return script.split(/&&|\|\||;/).some((command) => {
    const words = command.trim().split(/\s+/)
    const at = words.findIndex((word, i) => word === 'nest' && words[i + 1] === 'build')
    if (at < 0) return false
    const flags = words.slice(at + 2)
    return flags.some(
      (flag, i) =>
        flag === '--webpack' ||
        flag === '--builder=webpack' ||
        ((flag === '-b' || flag === '--builder') && flags[i + 1] === 'webpack'),
    )
  })
}

interface NestCli {
  compilerOptions?: { webpack?: boolean; builder?: string | { type?: string } }
}

function readPackageJson(root: string): PackageJson {
  const file = join(root, 'package.json')
  if (!existsSync(file)) {
    throw new NotASequelizeAppError(
      `No package.json in ${root}. Run create-async from the root of your Sequelize app.`,
    )
  }
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson
}

/**
 * sequelize-cli's own way: require .sequelizerc (CommonJS, whatever the
 * package type) with the app root as cwd, since it calls path.resolve().
 */
function readSequelizerc(root: string): Record<string, string | undefined> {
  const file = join(root, '.sequelizerc')
  if (!existsSync(file)) return {}
  const cwd = process.cwd()
  try {
    process.chdir(root)
    return createRequire(file)(file) as Record<string, string | undefined>
  } finally {
    process.chdir(cwd)
  }
}

const ENTRY_NAMES = ['index.ts', 'index.mts', 'index.cts', 'index.js', 'index.cjs', 'index.mjs']

function findModelsEntry(root: string, modelsDir: string, typescriptDep: boolean): string {
  const found = ENTRY_NAMES.find((name) => existsSync(join(root, modelsDir, name)))
  return `${modelsDir}/${found ?? (typescriptDep ? 'index.ts' : 'index.js')}`
}

function detectPackageManager(root: string): HostLayout['packageManager'] {
  if (existsSync(join(root, 'pnpm-lock.yaml'))) return 'pnpm'
  if (existsSync(join(root, 'yarn.lock'))) return 'yarn'
  if (existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock'))) return 'bun'
  return 'npm'
}

/** The app's name for process and unit names; 'app' when package.json has none. */
export function appName(root: string): string {
  try {
    return slug(readPackageJson(root).name ?? 'app')
  } catch {
    return 'app'
  }
}

function slug(name: string): string {
  return name.replace(/^@[^/]+\//, '').replace(/[^a-zA-Z0-9_-]+/g, '-') || 'app'
}

function toPosix(path: string): string {
  if (isAbsolute(path) || path.startsWith('..')) {
    throw new NotASequelizeAppError(`${path} lies outside the app; pass a path inside it`)
  }
  return path.split(sep).join('/')
}
