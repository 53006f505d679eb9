// The end-to-end daemon suite, run by test/cli-daemon-*.test.ts once per host
// kind (two files, so vitest runs them on both cores): create-async in a fresh
// host app, sequelize-cli db:migrate, tasks enqueued by a model hook, and
// daemons run by `script/async start|stop|status`, on SQLite and on every
// database server configured.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createHostApp, packPackage, removePack, type HostApp } from './host-app.js'
import {
  createDatabase,
  databaseName,
  dialects,
  dropDatabase,
  taskStatuses,
  type Dialect,
} from './host-app-db.js'
import type { HostKind } from './host-app-files.js'
import { killProcessesIn, processesIn, waitFor } from './host-app-processes.js'

/** The host app's tasks, read through its own models. */
function tasksOf(app: HostApp): { id: number; status: string; result: unknown }[] {
  const script = app.kind === 'cjs-js' ? ['report.js'] : ['--import', 'tsx', 'report.ts']
  return JSON.parse(app.node(script)) as { id: number; status: string; result: unknown }[]
}

function enqueue(app: HostApp, count: number): void {
  app.node(
    app.kind === 'cjs-js'
      ? ['enqueue.js', String(count)]
      : ['--import', 'tsx', 'enqueue.ts', String(count)],
  )
}

const pidfiles = (app: HostApp) =>
  readdirSync(join(app.root, 'tmp/pids')).filter((f) => f.endsWith('.pid'))

// Each test starts and stops real processes; give a loaded CI machine room.
const SLOW = 120_000

/** Declares the daemon tests for a `kind` host app on every configured dialect. */
export function daemonSuite(kind: HostKind): void {
  let tarball: string
  beforeAll(() => {
    tarball = packPackage()
  })
  afterAll(() => removePack(tarball))
  const cases = dialects().map((dialect) => ({ dialect, label: `${kind} app on ${dialect.name}` }))
  describe.each(cases)('script/async in a $label', ({ dialect }) => {
    suiteFor(kind, dialect, () => tarball)
  })
}

function suiteFor(kind: HostKind, dialect: Dialect, tarball: () => string): void {
  let app: HostApp
  const dbName = databaseName(`cli_${kind}_${dialect.name}`)

  beforeAll(async () => {
    app = createHostApp(kind, tarball(), await createDatabase(dialect, dbName))
  })

  afterAll(async () => {
    if (!app) return
    app.run(process.execPath, ['script/async', 'stop'])
    killProcessesIn(app.root)
    await dropDatabase(dialect, dbName)
    app.remove()
  })

  it(
    'scaffolds, and sequelize-cli db:migrate applies the generated migration',
    () => {
      const created = app.run(process.execPath, ['node_modules/.bin/create-async', '--yes'])
      expect(created.status, created.stderr).toBe(0)
      const migrated = app.run(process.execPath, ['node_modules/.bin/sequelize-cli', 'db:migrate'])
      expect(migrated.status, migrated.stderr + migrated.stdout).toBe(0)
      expect(migrated.stdout).toMatch(/create-async-tasks: migrated/)
    },
    SLOW,
  )

  it(
    'runs tasks enqueued by the app in two daemons, and stop --uid=2 leaves uid 1 running',
    async () => {
      enqueue(app, 4)
      const statuses = () => taskStatuses(app.env.DATABASE_URL!)
      expect(await statuses()).toEqual(['pending', 'pending', 'pending', 'pending'])

      // Both at once: their start-ups overlap, as on a real deploy.
      const starts = await Promise.all(
        [1, 2].map((uid) =>
          app.runAsync(process.execPath, ['script/async', 'start', `--uid=${uid}`]),
        ),
      )
      starts.forEach((started, index) => {
        expect(started.status, started.stderr).toBe(0)
        expect(started.stdout).toMatch(new RegExp(`async\\.${index + 1} started \\(pid \\d+`))
      })
      expect(pidfiles(app).sort()).toEqual(['async.1.pid', 'async.2.pid'])

      const done = async () => (await statuses()).every((status) => status === 'succeeded')
      await waitFor(done, 60_000, 'tasks done')
      expect(tasksOf(app)[0]?.result).toBe('mailed buyer0@example.com about order 1')

      const stopped = app.run(process.execPath, ['script/async', 'stop', '--uid=2'])
      expect(stopped.stdout).toMatch(/async\.2 stopped/)
      const status = app.run(process.execPath, ['script/async', 'status'])
      expect(status.stdout).toMatch(/async\.1: running/)
      expect(status.stdout).not.toMatch(/async\.2/)
      expect(pidfiles(app)).toEqual(['async.1.pid'])
      expect(existsSync(join(app.root, 'log/async.2.log'))).toBe(true)
    },
    SLOW,
  )

  it(
    'adds a worker under the next free uid on start without --uid, and stop ends them all',
    () => {
      const added = app.run(process.execPath, ['script/async', 'start'])
      expect(added.stdout).toMatch(/async\.2 started/)
      const again = app.run(process.execPath, ['script/async', 'start', '--uid=1'])
      expect(again.stdout).toMatch(/async\.1 is already running/)

      const stopped = app.run(process.execPath, ['script/async', 'stop'])
      expect(stopped.stdout).toMatch(/async\.1 stopped/)
      expect(stopped.stdout).toMatch(/async\.2 stopped/)
      expect(pidfiles(app)).toEqual([])
      expect(processesIn(app.root)).toEqual([])
      const status = app.run(process.execPath, ['script/async', 'status'])
      expect(status.status).toBe(3)
    },
    SLOW,
  )

  // Start-up failures do not depend on the database: once, on SQLite.
  it.runIf(dialect.name === 'sqlite')(
    'reports a worker that dies at start-up with its error and leaves no pidfile',
    () => {
      const started = app.run(process.execPath, ['script/async', 'start', '--uid=7'], {
        BREAK_APP: '1',
      })
      expect(started.status).toBe(1)
      expect(started.stderr).toMatch(/async\.7 .*start/)
      expect(started.stderr).toMatch(/cannot load the app: BREAK_APP is set/)
      expect(pidfiles(app)).toEqual([])
      expect(processesIn(app.root)).toEqual([])
    },
    SLOW,
  )

  it.runIf(dialect.name === 'sqlite')(
    'replaces a stale pidfile, and restart gives the worker a new pid',
    () => {
      writeFileSync(join(app.root, 'tmp/pids/async.3.pid'), '999999\n')
      const stale = app.run(process.execPath, ['script/async', 'status', '--uid=3'])
      expect(stale.status).toBe(3)
      expect(stale.stdout).toMatch(/async\.3: not running \(stale pidfile for pid 999999\)/)

      const started = app.run(process.execPath, ['script/async', 'start', '--uid=3'])
      const pid = /started \(pid (\d+)/.exec(started.stdout)?.[1]
      expect(pid, started.stderr).toBeDefined()
      const restarted = app.run(process.execPath, ['script/async', 'restart', '--uid=3'])
      expect(restarted.stdout).toMatch(new RegExp(`async\\.3 stopped \\(pid ${pid}\\)`))
      const newPid = /started \(pid (\d+)/.exec(restarted.stdout)?.[1]
      expect(newPid).toBeDefined()
      expect(newPid).not.toBe(pid)
      app.run(process.execPath, ['script/async', 'stop'])
      expect(pidfiles(app)).toEqual([])
    },
    SLOW,
  )

  it.runIf(dialect.name === 'sqlite')(
    'escalates stop to SIGKILL when a running task outlasts the stop timeout',
    async () => {
      const config = join(app.root, 'config/async.cjs')
      writeFileSync(
        config,
        readFileSync(config, 'utf8').replace('stopTimeout: 40000', 'stopTimeout: 1500'),
      )
      const slow = { MAIL_MS: '60000' }
      expect(app.run(process.execPath, ['script/async', 'start', '--uid=4'], slow).status).toBe(0)
      enqueue(app, 1)
      const running = async () => (await taskStatuses(app.env.DATABASE_URL!)).includes('running')
      await waitFor(running, 60_000, 'the slow task to run')

      const stopped = app.run(process.execPath, ['script/async', 'stop', '--uid=4'])
      expect(stopped.stdout).toMatch(/async\.4 killed after 1\.5s without stopping/)
      expect(pidfiles(app)).toEqual([])
      expect(processesIn(app.root)).toEqual([])
    },
    SLOW,
  )
}
