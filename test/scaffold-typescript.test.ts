// create-async in TypeScript apps that run their tsc build: sequelize-typescript
// models with a .sequelizerc pointing at dist/, and a NestJS app with
// @nestjs/sequelize. Each is scaffolded, built, migrated with sequelize-cli,
// and a real worker (script/async) runs the tasks the app enqueued.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { REPO, type HostApp } from './helpers/host-app.js'
import { createAsync, read, useScaffoldApps } from './helpers/scaffold-apps.js'
import { killProcessesIn } from './helpers/host-app-processes.js'
import { waitFor } from './helpers/wait.js'

const TSC = join(REPO, 'node_modules/typescript/bin/tsc')

const build = (app: HostApp, tsconfig: string) => app.node([TSC, '-p', tsconfig])
const report = (app: HostApp) =>
  JSON.parse(app.node(['dist/report.js'])) as { status: string; result: unknown }[]

describe('create-async in a sequelize-typescript app whose .sequelizerc points at dist/', () => {
  const { newApp } = useScaffoldApps()

  it('writes a TypeScript migration into src/, loads the build, and a worker runs the tasks', () => {
    const app = newApp('ts-dist')
    const result = createAsync(app)
    expect(result.status, result.stderr).toBe(0)

    // The migration is in the source folder, in the app's language; nothing went into dist/.
    const migrations = readdirSync(join(app.root, 'src/db/migrations'))
    expect(migrations.filter((name) => /^\d{14}-create-async-tasks\.ts$/.test(name))).toHaveLength(
      1,
    )
    expect(existsSync(join(app.root, 'dist'))).toBe(false)
    // The worker loads the compiled models (decorator metadata), not the source through tsx.
    const config = read(app, 'config/async.cjs')
    expect(config).toContain("const MODELS = path.join(__dirname, '..', 'dist/models/index.js')")
    expect(config).not.toContain('tsx')
    // Next steps: files that exist, and yarn, as the lockfile says.
    expect(result.stdout).toContain('src/models/index.ts already calls installAsync')
    expect(result.stdout).toContain(
      'Build, then create the tasks table:   yarn run build && yarn sequelize-cli db:migrate',
    )
    expect(result.stdout).toContain('which the build compiles into dist/db/migrations')
    expect(result.stdout).not.toMatch(/dist\/[\w/]*\.ts/)

    build(app, 'tsconfig.json')
    const migrated = app.run(process.execPath, ['node_modules/.bin/sequelize-cli', 'db:migrate'])
    expect(migrated.status, migrated.stdout + migrated.stderr).toBe(0)
    expect(migrated.stdout).toMatch(/create-async-tasks: migrated/)
    app.node(['dist/enqueue.js'])
    const worked = app.run(process.execPath, ['script/async', 'work-off'])
    expect(worked.status, worked.stdout + worked.stderr).toBe(0)
    expect(worked.stdout).toMatch(/2 succeeded, 0 failed/)
    expect(report(app)).toEqual([
      { status: 'succeeded', result: 'Hello ada@example.com, order 1 is confirmed' },
      { status: 'succeeded', result: 'Hello bob@example.com, order 2 is confirmed' },
    ])
  })
})

describe('create-async in a NestJS app with @nestjs/sequelize', () => {
  const { newApp } = useScaffoldApps()

  it('boots AppModule without HTTP in a daemon that runs tasks a service enqueued', async () => {
    const app = newApp('nest')
    try {
      const result = createAsync(app)
      expect(result.status, result.stderr).toBe(0)
      const config = read(app, 'config/async.cjs')
      expect(config).toContain(
        "const APP_MODULE = path.join(__dirname, '..', 'dist/app.module.js')",
      )
      expect(config).toContain('NestFactory.createApplicationContext(AppModule')
      expect(result.stdout).toContain('src/app.module.ts already imports SequelizeAsyncModule')
      expect(result.stdout).toContain('Create the tasks table:   npx sequelize-cli db:migrate')
      expect(result.stdout).toContain(
        'Workers load the build (dist/app.module.js): run npm run build before starting them',
      )

      build(app, 'tsconfig.build.json')
      app.node(['node_modules/.bin/sequelize-cli', 'db:migrate'])
      app.node(['dist/enqueue.js'])
      const started = app.run(process.execPath, ['script/async', 'start', '--uid=1'], {
        GREETING: 'Dear',
      })
      expect(started.status, started.stdout + started.stderr).toBe(0)
      await waitFor(
        () => report(app).every((task) => task.status === 'succeeded'),
        60_000,
        'the daemon to run both tasks',
        500,
      )
      expect(report(app)).toEqual([
        { status: 'succeeded', result: 'Dear ada@example.com, order 1 is confirmed' },
        { status: 'succeeded', result: 'Dear bob@example.com, order 2 is confirmed' },
      ])
      const stopped = app.run(process.execPath, ['script/async', 'stop'])
      expect(stopped.status, stopped.stdout + stopped.stderr).toBe(0)
      expect(read(app, 'log/async.1.log')).toMatch(/SUCCESS \d+: OrdersService#confirm/)
    } finally {
      killProcessesIn(app.root)
    }
  }, 180_000)
})

// `nest build --webpack` writes one bundle; esbuild stands in for webpack here
// (same result: dist/ holds bundles only, no dist/app.module.js to require).
// The real webpack build of an app made by `nest new`: npm run test:nest-cli.
const BUNDLED_MAIN = `import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { startAsWorker } from 'sequelize-async/nest'
import { AppModule } from './app.module'

async function bootstrap(): Promise<void> {
  if (await startAsWorker(AppModule)) return
  const app = await NestFactory.createApplicationContext(AppModule)
  console.log('the web app would listen here')
  await app.close()
}
void bootstrap()
`

describe('create-async in a NestJS app built into one bundle', () => {
  const { newApp } = useScaffoldApps()

  it('runs the bundle in worker mode: its own startAsWorker(AppModule) hands the modules over', () => {
    const app = newApp('nest')
    writeFileSync(
      join(app.root, 'nest-cli.json'),
      JSON.stringify({ compilerOptions: { webpack: true } }),
    )
    writeFileSync(join(app.root, 'src/main.ts'), BUNDLED_MAIN)
    const result = createAsync(app)
    expect(result.status, result.stderr).toBe(0)
    const config = read(app, 'config/async.cjs')
    expect(config).toContain("const BUNDLE = path.join(__dirname, '..', 'dist/main.js')")
    expect(config).not.toContain('APP_MODULE')
    expect(result.stdout).toContain('The app is bundled (dist/main.js): in src/main.ts')

    build(app, 'tsconfig.build.json')
    app.node(['node_modules/.bin/sequelize-cli', 'db:migrate'])
    app.node(['dist/enqueue.js'])
    const esbuild = join(REPO, 'node_modules/esbuild/bin/esbuild')
    const flags = ['--bundle', '--platform=node', '--format=cjs', '--packages=external']
    const bundled = app.run(esbuild, [
      'dist/main.js',
      'dist/report.js',
      ...flags,
      '--outdir=bundle',
    ])
    expect(bundled.status, bundled.stderr).toBe(0)
    rmSync(join(app.root, 'dist'), { recursive: true })
    app.run('mv', ['bundle', 'dist'])
    expect(readdirSync(join(app.root, 'dist')).sort()).toEqual(['main.js', 'report.js'])

    const worked = app.run(process.execPath, ['script/async', 'work-off'], { GREETING: 'Hi' })
    expect(worked.status, worked.stdout + worked.stderr).toBe(0)
    expect(worked.stdout).not.toContain('would listen')
    expect(report(app)).toEqual([
      { status: 'succeeded', result: 'Hi ada@example.com, order 1 is confirmed' },
      { status: 'succeeded', result: 'Hi bob@example.com, order 2 is confirmed' },
    ])
  })
})
