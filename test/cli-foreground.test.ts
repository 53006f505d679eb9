// `script/async` without a command (a foreground worker) and `work-off`, in a
// generated CommonJS host app on SQLite: the signal contract of DESIGN.md.
import { spawn, type ChildProcess } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scaffoldedHostApp, type HostApp } from './helpers/host-app.js'
import { taskStatuses } from './helpers/host-app-db.js'
import { killProcessesIn, waitFor } from './helpers/host-app-processes.js'

interface Row {
  id: number
  status: string
  result: unknown
}

describe('script/async in the foreground', () => {
  let app: HostApp
  const rows = () => JSON.parse(app.node(['report.js'])) as Row[]
  const last = () => rows().at(-1)
  // Straight from the table: polling through report.js (a node start per poll)
  // can miss a short `running` window on a loaded machine.
  const lastStatus = async () => (await taskStatuses(app.env.DATABASE_URL!)).at(-1)

  beforeAll(() => {
    app = scaffoldedHostApp()
  })

  afterAll(() => {
    if (!app) return
    killProcessesIn(app.root)
    app.remove()
  })

  /** Starts a foreground worker whose mail takes `mailMs`; collects its output. */
  function foreground(mailMs: number) {
    const child = spawn(process.execPath, ['script/async', '--sleep=0.2'], {
      cwd: app.root,
      env: { ...app.env, MAIL_MS: String(mailMs) },
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    return { child, exited, output: () => output }
  }

  const signal = (child: ChildProcess, name: NodeJS.Signals) => child.kill(name)

  it('work-off runs every due task, then exits', () => {
    app.node(['enqueue.js', '2'])
    const output = app.node(['script/async', 'work-off'])
    expect(output).toMatch(/2 succeeded, 0 failed/)
    expect(rows().map((row) => row.status)).toEqual(['succeeded', 'succeeded'])
  })

  it('lets the running task finish on SIGTERM, then exits 0', async () => {
    app.node(['enqueue.js', '1'])
    const worker = foreground(3000)
    await waitFor(async () => (await lastStatus()) === 'running', 30_000, 'the task to run')
    signal(worker.child, 'SIGTERM')
    expect(await worker.exited).toBe(0)
    expect(worker.output()).toMatch(/SIGTERM received, finishing running tasks/)
    expect(last()).toMatchObject({ status: 'succeeded', result: expect.stringMatching(/^mailed/) })
  })

  it('exits at once on a second signal', async () => {
    app.node(['enqueue.js', '1'])
    const worker = foreground(60_000)
    await waitFor(async () => (await lastStatus()) === 'running', 30_000, 'the task to run')
    signal(worker.child, 'SIGTERM')
    await waitFor(() => worker.output().includes('SIGTERM received'), 20_000, 'the first signal')
    signal(worker.child, 'SIGINT')
    expect(await worker.exited).toBe(1)
    // It did not wait for the 60 s mail.
    expect(await lastStatus()).not.toBe('succeeded')
    expect(worker.output()).toMatch(/SIGINT again, exiting without waiting/)
  })
})
