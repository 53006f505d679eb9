// End to end: create-async in fresh CommonJS/JS and ESM/TypeScript host apps,
// sequelize-cli db:migrate, tasks enqueued by a model hook, and daemons run by
// `script/async start|stop|status`, on SQLite and on every server configured.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createHostApp, packPackage, type HostApp } from './helpers/host-app.js'
import { createDatabase, databaseName, dialects, dropDatabase } from './helpers/host-app-db.js'
import type { HostKind } from './helpers/host-app-files.js'
import { killProcessesIn, processesIn, waitFor } from './helpers/host-app-processes.js'

const cases = (['cjs-js', 'esm-ts'] as HostKind[]).flatMap((kind) =>
  dialects().map((dialect) => ({ kind, dialect, label: `${kind} app on ${dialect.name}` })),
)

let tarball: string
beforeAll(() => {
  tarball = packPackage()
})

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

describe.each(cases)('script/async in a $label', ({ kind, dialect }) => {
  let app: HostApp
  const dbName = databaseName(`cli_${kind}_${dialect.name}`)

  beforeAll(async () => {
    app = createHostApp(kind, tarball, await createDatabase(dialect, dbName))
  })

  afterAll(async () => {
    if (!app) return
    app.run(process.execPath, ['script/async', 'stop'])
    killProcessesIn(app.root)
    await dropDatabase(dialect, dbName)
    app.remove()
  })

  it('scaffolds, and sequelize-cli db:migrate applies the generated migration', () => {
    const created = app.run('npx', ['create-async', '--yes'])
    expect(created.status, created.stderr).toBe(0)
    const migrated = app.run('npx', ['sequelize-cli', 'db:migrate'])
    expect(migrated.status, migrated.stderr + migrated.stdout).toBe(0)
    expect(migrated.stdout).toMatch(/create-async-tasks: migrated/)
  })

  it('runs tasks enqueued by the app in two daemons, and stop --uid=2 leaves uid 1 running', async () => {
    enqueue(app, 4)
    expect(tasksOf(app).map((task) => task.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
    ])

    for (const uid of [1, 2]) {
      const started = app.run(process.execPath, ['script/async', 'start', `--uid=${uid}`])
      expect(started.status, started.stderr).toBe(0)
      expect(started.stdout).toMatch(new RegExp(`async\\.${uid} started \\(pid \\d+`))
    }
    expect(pidfiles(app).sort()).toEqual(['async.1.pid', 'async.2.pid'])

    await waitFor(
      () => tasksOf(app).every((task) => task.status === 'succeeded'),
      30_000,
      'tasks done',
    )
    expect(tasksOf(app)[0]?.result).toBe('mailed buyer0@example.com about order 1')

    const stopped = app.run(process.execPath, ['script/async', 'stop', '--uid=2'])
    expect(stopped.stdout).toMatch(/async\.2 stopped/)
    const status = app.run(process.execPath, ['script/async', 'status'])
    expect(status.stdout).toMatch(/async\.1: running/)
    expect(status.stdout).not.toMatch(/async\.2/)
    expect(pidfiles(app)).toEqual(['async.1.pid'])
    expect(existsSync(join(app.root, 'log/async.2.log'))).toBe(true)
  })

  it('adds a worker under the next free uid on start without --uid, and stop ends them all', () => {
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
  })

  it('reports a worker that dies at start-up with its error and leaves no pidfile', () => {
    const started = app.run(process.execPath, ['script/async', 'start', '--uid=7'], {
      BREAK_APP: '1',
    })
    expect(started.status).toBe(1)
    expect(started.stderr).toMatch(/async\.7 .*start/)
    expect(started.stderr).toMatch(/cannot load the app: BREAK_APP is set/)
    expect(pidfiles(app)).toEqual([])
    expect(processesIn(app.root)).toEqual([])
  })
})
