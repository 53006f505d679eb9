// Temp host apps for the scaffolder and daemon tests. The package under test
// is the packed tarball (what npm users get), unpacked into the app's
// node_modules; sequelize, the drivers, sequelize-cli, tsx and pm2 are
// symlinked from the repo's node_modules so no test compiles sqlite3 again.
import { execFile, execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { hostAppFiles, type HostKind } from './host-app-files.js'

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const REPO_MODULES = join(REPO, 'node_modules')

/** How a command ended. */
export interface RunResult {
  status: number
  stdout: string
  stderr: string
}

/** A generated host app in a temp directory. */
export interface HostApp {
  root: string
  kind: HostKind
  env: NodeJS.ProcessEnv
  /** runs `command args` in the app, synchronously, never throwing */
  run(command: string, args: string[], env?: NodeJS.ProcessEnv): SpawnSyncReturns<string>
  /** like run, without blocking the test process */
  runAsync(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>
  /** runs `node args` in the app and throws with its output unless it exits 0 */
  node(args: string[], env?: NodeJS.ProcessEnv): string
  remove(): void
}

/**
 * Packs the repo (dist must be built: `npm test` builds first) into a temp
 * directory. --ignore-scripts: prepack would rebuild dist/ while other test
 * files read it.
 */
export function packPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'async-pack-'))
  const name = execFileSync(
    'npm',
    ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  ).trim()
  return join(dir, name.split('\n').at(-1) ?? name)
}

/** Removes a tarball of packPackage and its directory (host apps hold unpacked copies). */
export function removePack(tarball: string): void {
  rmSync(dirname(tarball), { recursive: true, force: true })
}

/** Creates a host app of `kind` on `databaseUrl` with the packed package installed. */
export function createHostApp(kind: HostKind, tarball: string, databaseUrl?: string): HostApp {
  const root = realpathSync(mkdtempSync(join(tmpdir(), `async-host-${kind}-`)))
  const url = databaseUrl ?? `sqlite:${join(root, 'db.sqlite')}`
  for (const [path, text] of Object.entries(hostAppFiles(kind))) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  installModules(root, tarball)
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, NODE_ENV: 'development' }
  delete env.NODE_OPTIONS // vitest's loader hooks must not leak into host processes
  const run = (command: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(command, args, {
      cwd: root,
      env: { ...env, ...extra },
      encoding: 'utf8',
      timeout: 60_000,
    })
  const runAsync = (command: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<RunResult>((resolve) => {
      const options = { cwd: root, env: { ...env, ...extra }, encoding: 'utf8' as const }
      execFile(command, args, options, (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ status, stdout, stderr })
      })
    })
  return {
    root,
    kind,
    env,
    run,
    runAsync,
    node(args, extra) {
      const result = run(process.execPath, args, extra)
      if (result.status !== 0) {
        throw new Error(
          `node ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
        )
      }
      return result.stdout
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  }
}

function installModules(root: string, tarball: string): void {
  const modules = join(root, 'node_modules')
  const bin = join(modules, '.bin')
  mkdirSync(bin, { recursive: true })
  for (const name of readdirSync(REPO_MODULES)) {
    if (name.startsWith('.') || name === 'sequelize-async') continue
    symlinkSync(join(REPO_MODULES, name), join(modules, name))
  }
  for (const name of readdirSync(join(REPO_MODULES, '.bin'))) {
    symlinkSync(realpathSync(join(REPO_MODULES, '.bin', name)), join(bin, name))
  }
  const own = join(modules, 'sequelize-async')
  mkdirSync(own)
  execFileSync('tar', ['-xzf', tarball, '-C', own, '--strip-components=1'])
  symlinkSync(join(own, 'bin', 'create-async.js'), join(bin, 'create-async'))
}

/**
 * A CommonJS host app with the packed package installed, `create-async --yes`
 * run (with `flags`) and its migration applied: where the CLI tests start.
 */
export function scaffoldedHostApp(flags: string[] = [], databaseUrl?: string): HostApp {
  const tarball = packPackage()
  let app: HostApp
  try {
    app = createHostApp('cjs-js', tarball, databaseUrl)
  } finally {
    removePack(tarball)
  }
  for (const step of [
    ['node_modules/.bin/create-async', '--yes', ...flags],
    ['node_modules/.bin/sequelize-cli', 'db:migrate'],
  ]) {
    const result = app.run(process.execPath, step)
    if (result.status !== 0)
      throw new Error(`${step.join(' ')} failed in ${app.root}:\n${result.stdout}${result.stderr}`)
  }
  return app
}
