// The generated PM2 ecosystem file under the real pm2, with its own PM2_HOME
// so it never touches a developer's PM2: N workers come up, run tasks, and a
// killed worker is restarted.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scaffoldedHostApp, type HostApp } from './helpers/host-app.js'
import { killProcessesIn, processesIn, waitFor } from './helpers/host-app-processes.js'

interface Pm2Process {
  name: string
  pid: number
  pm2_env: { status: string; restart_time: number }
}

describe('the generated PM2 ecosystem file', () => {
  let app: HostApp
  let pm2Home: string
  const pm2 = (...args: string[]) =>
    app.run(process.execPath, ['node_modules/.bin/pm2', ...args], { PM2_HOME: pm2Home })
  const list = (): Pm2Process[] => JSON.parse(pm2('jlist').stdout || '[]') as Pm2Process[]

  beforeAll(() => {
    pm2Home = mkdtempSync(join(tmpdir(), 'async-pm2-home-'))
    app = scaffoldedHostApp(['--workers=2'])
  })

  afterAll(() => {
    if (app) {
      pm2('kill')
      killProcessesIn(app.root)
      killProcessesIn(pm2Home)
      app.remove()
    }
    rmSync(pm2Home, { recursive: true, force: true })
  })

  it('starts N workers that run the tasks, and restarts a killed one', async () => {
    const started = pm2('start', 'config/async.pm2.config.cjs')
    expect(started.status, started.stderr).toBe(0)
    await waitFor(
      () => list().filter((p) => p.pm2_env.status === 'online' && p.pid > 0).length === 2,
      60_000,
      'two online workers',
    )
    expect(
      list()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['cjs-shop-async-1', 'cjs-shop-async-2'])

    app.node(['enqueue.js', '3'])
    const statuses = () =>
      (JSON.parse(app.node(['report.js'])) as { status: string }[]).map((t) => t.status)
    await waitFor(() => statuses().every((s) => s === 'succeeded'), 60_000, 'tasks done')

    const victim = list().find((p) => p.name === 'cjs-shop-async-1')
    process.kill(victim!.pid, 'SIGKILL')
    await waitFor(
      () => {
        const now = list().find((p) => p.name === 'cjs-shop-async-1')
        return !!now && now.pm2_env.status === 'online' && now.pid !== victim!.pid && now.pid > 0
      },
      60_000,
      'the killed worker to be restarted',
    )
    expect(list().find((p) => p.name === 'cjs-shop-async-1')?.pm2_env.restart_time).toBeGreaterThan(
      0,
    )

    expect(pm2('delete', 'config/async.pm2.config.cjs').status).toBe(0)
    await waitFor(() => processesIn(app.root).length <= 1, 60_000, 'workers gone') // pm2's daemon may remain
  }, 180_000)
})
