// `script/async --metrics-port`: a worker process (foreground or daemon)
// serves its own Prometheus metrics, so the counters of the tasks it ran can
// be scraped; loopback unless ASYNC_METRICS_TOKEN is set, which every scrape
// must then send. A generated CommonJS host app on SQLite; the scrape is
// parsed by a Prometheus text parser.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scaffoldedHostApp, type HostApp } from './helpers/host-app.js'
import { killProcessesIn, waitFor } from './helpers/host-app-processes.js'

const TOKEN = 'metrics-token-0123456789abcdef'

/** A port nobody listens on now (and the one after it). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => resolve(port))
      })
    })
    if (port < 65000) return port
  }
}

function finished(text: string): Record<string, number> {
  const family = parsePrometheusTextFormat(text).find(
    (f) => f.name === 'async_tasks_finished_total',
  )
  const counts: Record<string, number> = {}
  for (const metric of family?.metrics ?? []) {
    const { queue, outcome } = (metric as { labels: Record<string, string> }).labels
    counts[`${queue}/${outcome}`] = Number((metric as { value: string }).value)
  }
  return counts
}

describe('script/async --metrics-port', () => {
  let app: HostApp
  const rows = () => JSON.parse(app.node(['report.js'])) as { status: string }[]

  beforeAll(() => {
    app = scaffoldedHostApp()
  })

  afterAll(() => {
    if (!app) return
    killProcessesIn(app.root)
    app.remove()
  })

  it('a daemon serves the counters of the tasks it ran on port P + uid - 1, until stopped', async () => {
    const base = await freePort()
    const started = app.run(process.execPath, [
      'script/async',
      'start',
      '--uid=2',
      '--sleep=0.2',
      `--metrics-port=${base - 1}`,
    ])
    expect(started.status, started.stdout + started.stderr).toBe(0)
    try {
      const url = `http://127.0.0.1:${base}/metrics`
      await waitFor(
        () => readFileSync(join(app.root, 'log/async.2.log'), 'utf8').includes(url),
        30_000,
        'the metrics line in the log',
      )
      const before = rows().length
      app.node(['enqueue.js', '2'])
      await waitFor(
        () =>
          rows()
            .slice(before)
            .every((row) => row.status === 'succeeded'),
        60_000,
        'the two tasks to succeed',
      )
      const response = await fetch(url)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
      const text = await response.text()
      expect(finished(text)['default/succeeded']).toBe(2)
      expect(text).toMatch(/^async_workers_alive \d+$/m)
      expect((await fetch(`http://127.0.0.1:${base}/`)).status).toBe(404)
    } finally {
      const stopped = app.run(process.execPath, ['script/async', 'stop', '--uid=2'])
      expect(stopped.status, stopped.stdout + stopped.stderr).toBe(0)
    }
    await expect(fetch(`http://127.0.0.1:${base}/metrics`)).rejects.toThrow()
  })

  it('with ASYNC_METRICS_TOKEN, a foreground worker answers only scrapes that send it', async () => {
    const port = await freePort()
    const child = spawn(process.execPath, ['script/async', `--metrics-port=${port}`], {
      cwd: app.root,
      env: { ...app.env, ASYNC_METRICS_TOKEN: TOKEN },
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      await waitFor(() => output.includes('/metrics'), 30_000, 'the metrics line')
      const url = `http://127.0.0.1:${port}/metrics`
      const refused = await fetch(url)
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(
        (await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
      ).toBe(401)
      const scraped = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(scraped.status).toBe(200)
      expect(parsePrometheusTextFormat(await scraped.text()).length).toBeGreaterThan(0)
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })

  it('refuses a non-loopback address without a token, and a taken port, before running anything', async () => {
    const open = app.run(process.execPath, [
      'script/async',
      '--metrics-port=9464',
      '--metrics-host=0.0.0.0',
    ])
    expect(open.status).toBe(1)
    expect(open.stderr).toMatch(/--metrics-host=0\.0\.0\.0 lets other machines read/)
    expect(open.stderr).toMatch(/ASYNC_METRICS_TOKEN/)

    const port = await freePort()
    const holder = createServer().listen(port, '127.0.0.1')
    await new Promise((resolve) => holder.once('listening', resolve))
    try {
      const before = rows().length
      app.node(['enqueue.js', '1'])
      const taken = app.run(process.execPath, ['script/async', `--metrics-port=${port}`])
      expect(taken.status).toBe(1)
      expect(taken.stderr).toMatch(new RegExp(`Metrics port 127\\.0\\.0\\.1:${port} is taken`))
      expect(
        rows()
          .slice(before)
          .map((row) => row.status),
      ).toEqual(['pending'])
    } finally {
      holder.close()
    }
    const unknown = app.run(process.execPath, ['script/async', '--metrics-port=70000'])
    expect(unknown.status).not.toBe(0)
    expect(unknown.stderr + unknown.stdout).toMatch(/--metrics-port must be a port number/)
  })
})
