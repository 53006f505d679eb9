// The inspection commands of `script/async` in a generated CommonJS host app
// on every dialect: list, show, stats, pause/resume, cancel/retry, prune,
// dashboard (and its token rules), and what they print of a hostile row.
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { scaffoldedHostApp, type HostApp } from './helpers/host-app.js'
import { createDatabase, databaseName, dialects, dropDatabase } from './helpers/host-app-db.js'
import { killProcessesIn, waitFor } from './helpers/host-app-processes.js'

// A task row as anyone who can write the table could leave it: escape
// sequences in the label, queue, status, error and stack (title change, screen
// clear, hidden text, a hyperlink, the one-byte CSI U+009B, a right-to-left
// override).
// String.raw: the escapes are for hostile.js to read, not for this file.
const HOSTILE = String.raw`'use strict'
const db = require('./models')
;(async () => {
  const ESC = '\u001b'
  const task = await db.tasks.AsyncTask.create({
    objectType: 'Order',
    objectId: '1' + ESC + ']0;owned\u0007',
    action: 'send' + ESC + '[2J',
    argsJson: JSON.stringify(['\u009b31m', '\u202egnp.exe']),
    queue: 'mail' + ESC + '[31m',
    scheduledAt: new Date(),
    finishedAt: new Date(),
    ready: null,
    status: 'done' + ESC + '[8m',
    success: false,
    error: 'Error: boom' + ESC + '[8m hidden\r',
    attempts: 1,
    attemptErrorsJson: JSON.stringify([{
      attempt: 1,
      at: '2026-01-01T00:00:00.000Z',
      name: 'Error',
      message: 'boom' + ESC + '[8m',
      stack: 'Error: boom\n    at evil (' + ESC + ']8;;http://evil.example' + ESC + '\\)\n\u009b2J',
    }]),
  })
  console.log(task.id)
  await db.sequelize.close()
})()
`

describe.each(dialects().map((dialect) => ({ dialect, name: dialect.name })))(
  'script/async inspection commands on $name',
  ({ dialect }) => {
    let app: HostApp
    const database = databaseName(`inspect_${dialect.name}`)
    const cli = (...args: string[]) => app.node(['script/async', ...args])
    const json = (...args: string[]) => JSON.parse(cli(...args, '--json')) as unknown

    beforeAll(async () => {
      app = scaffoldedHostApp([], await createDatabase(dialect, database))
      app.node(['enqueue.js', '3'])
      writeFileSync(join(app.root, 'hostile.js'), HOSTILE)
    })

    afterAll(async () => {
      if (app) {
        killProcessesIn(app.root)
        app.remove()
      }
      await dropDatabase(dialect, database)
    })

    it('lists, shows and counts tasks, as a table and as JSON', () => {
      expect(cli('list')).toMatch(/pending .*Order\(\d+\)#sendConfirmationEmail/)
      const listed = json('list', '--status=pending') as Array<{ id: number; status: string }>
      expect(listed).toHaveLength(3)
      const shown = json('show', String(listed[0]!.id)) as {
        id: number
        status: string
        args: unknown[]
      }
      expect(shown).toMatchObject({ id: listed[0]!.id, status: 'pending' })
      // --object=Order:17: one record's tasks (the label carries the record).
      const record = /Order\((\d+)\)/.exec((listed[0] as unknown as { task: string }).task)![1]!
      const own = json('list', `--object=Order:${record}`) as Array<{ task: string }>
      expect(own.length).toBeGreaterThan(0)
      expect(own.every((row) => row.task.startsWith(`Order(${record})#`))).toBe(true)
      expect(json('list', '--object=Order:0')).toEqual([])
      expect(cli('show', String(listed[0]!.id))).toMatch(/^id\s+\d+/m)
      const stats = json('stats') as { byStatus: Record<string, number> }
      expect(stats.byStatus).toEqual({ pending: 3 })
      expect(cli('stats')).toMatch(/last hour: 0 succeeded, 0 failed/)
    })

    it('pauses and resumes a queue for every worker', () => {
      expect(cli('pause', 'default')).toMatch(/queue default paused/)
      expect(cli('work-off')).toMatch(/0 succeeded, 0 failed/)
      expect(cli('resume', 'default')).toMatch(/queue default resumed/)
    })

    it('cancels a pending task, retries it, and refuses what does not fit', () => {
      const [first] = json('list', '--status=pending') as Array<{ id: number }>
      expect(cli('cancel', String(first!.id))).toMatch(/cancelled/)
      const again = app.run(process.execPath, ['script/async', 'cancel', String(first!.id)])
      expect(again.status).not.toBe(0)
      expect(again.stderr).toMatch(/is cancelled; only pending or running tasks can be cancelled/)
      expect(cli('retry', String(first!.id))).toMatch(/queued to run again/)
      expect(cli('work-off')).toMatch(/3 succeeded, 0 failed/)
      const bad = app.run(process.execPath, ['script/async', 'show', 'abc'])
      expect(bad.stderr).toMatch(/show takes a task id/)
      expect(cli('prune')).toMatch(/0 finished task\(s\) past retention deleted/)
    })

    /** Starts `script/async dashboard --port=0`; resolves once it prints its URL. */
    async function startDashboard(env: NodeJS.ProcessEnv) {
      const child = spawn(process.execPath, ['script/async', 'dashboard', '--port=0'], {
        cwd: app.root,
        env: { ...app.env, ...env },
      })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      try {
        await waitFor(
          () => /dashboard at http:\/\/127\.0\.0\.1:\d+\//.test(output),
          30_000,
          'the dashboard',
        )
      } catch (error) {
        child.kill('SIGTERM')
        throw error
      }
      return { child, output, url: /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]! }
    }

    it('serves the dashboard on 127.0.0.1 behind a token', async () => {
      const { child, output, url } = await startDashboard({
        ASYNC_DASHBOARD_TOKEN: 'inspect-secret-0123456789',
      })
      try {
        expect(output).not.toContain('inspect-secret')
        expect((await fetch(url, { redirect: 'manual' })).status).not.toBe(200)
        const page = await fetch(url, {
          headers: { authorization: 'Bearer inspect-secret-0123456789' },
        })
        expect(page.status).toBe(200)
        expect(await page.text()).toMatch(/succeeded/)
      } finally {
        child.kill('SIGTERM')
      }
    })

    it('serves Prometheus metrics at /metrics, to ASYNC_METRICS_TOKEN as well as the dashboard token', async () => {
      const { child, url } = await startDashboard({
        ASYNC_DASHBOARD_TOKEN: 'inspect-secret-0123456789',
        ASYNC_METRICS_TOKEN: 'scrape-secret-0123456789',
      })
      try {
        const scrape = (token?: string) =>
          fetch(`${url}metrics`, {
            headers: token ? { authorization: `Bearer ${token}` } : {},
          })
        expect((await scrape()).status).toBe(401)
        const page = await scrape('scrape-secret-0123456789')
        expect(page.status).toBe(200)
        expect(page.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
        const families = parsePrometheusTextFormat(await page.text())
        expect(families.map((f) => f.name)).toEqual([
          'async_tasks_finished_total',
          'async_task_run_seconds',
          'async_queue_depth',
          'async_queue_oldest_due_age_seconds',
          'async_workers_alive',
        ])
        const workers = families.find((f) => f.name === 'async_workers_alive')
        expect(workers?.metrics).toEqual([{ value: '0' }])
        const scrapeToken = await fetch(url, {
          headers: { authorization: 'Bearer scrape-secret-0123456789' },
        })
        expect(scrapeToken.status).toBe(401) // the scrape token opens /metrics only
        expect((await scrape('inspect-secret-0123456789')).status).toBe(200)
      } finally {
        child.kill('SIGTERM')
      }
    })

    it('refuses to serve the dashboard without a token of 16+ characters, saying what to set', () => {
      const none = app.run(process.execPath, ['script/async', 'dashboard', '--port=0'], {
        ASYNC_DASHBOARD_TOKEN: '',
      })
      expect(none.status).toBe(1) // and it ends: the app's database is closed again
      expect(none.stderr).toMatch(/The dashboard needs a token and none is set/)
      expect(none.stderr).toContain('export ASYNC_DASHBOARD_TOKEN="$(openssl rand -hex 24)"')
      expect(none.stdout).not.toMatch(/dashboard at/)
      const short = app.run(
        process.execPath,
        ['script/async', 'dashboard', '--port=0', '--token=short-token'],
        { ASYNC_DASHBOARD_TOKEN: '' },
      )
      expect(short.status).toBe(1)
      expect(short.stderr).toMatch(/token is 11 characters, too short/)
    })

    it("takes the dashboard token from what the app's config loads (as dotenv loads .env)", async () => {
      const configPath = join(app.root, 'config', 'async.cjs')
      const config = readFileSync(configPath, 'utf8')
      // What `require('dotenv').config()` at the top of the config does with a .env line.
      writeFileSync(
        configPath,
        config.replace(
          "'use strict'\n",
          "'use strict'\nprocess.env.ASYNC_DASHBOARD_TOKEN = 'from-dot-env-0123456789'\n",
        ),
      )
      try {
        const { child, url } = await startDashboard({ ASYNC_DASHBOARD_TOKEN: '' })
        try {
          const headers = { authorization: 'Bearer from-dot-env-0123456789' }
          expect((await fetch(url, { headers })).status).toBe(200)
        } finally {
          child.kill('SIGTERM')
        }
      } finally {
        writeFileSync(configPath, config)
      }
    })

    it('prints text from rows with control characters escaped, so a row cannot drive the terminal', () => {
      const id = Number(app.node(['hostile.js']).trim())
      // eslint-disable-next-line no-control-regex -- looking for control characters
      const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/
      const list = cli('list')
      expect(list).not.toMatch(raw)
      expect(list).toContain('Order(1\\x1b]0;owned\\x07)#send\\x1b[2J')
      expect(list).toContain('mail\\x1b[31m')
      const shown = cli('show', String(id))
      expect(shown).not.toMatch(raw)
      expect(shown).toContain('"Error: boom\\u001b[8m hidden\\r"') // the error field, as JSON
      expect(shown).toContain('attempt 1 failed at 2026-01-01T00:00:00.000Z: Error: boom\\x1b[8m')
      // A stack keeps its lines; its control characters do not survive.
      expect(shown).toContain(
        'Error: boom\n    at evil (\\x1b]8;;http://evil.example\\x1b\\)\n\\x9b2J',
      )
      expect(shown).toMatch(/^args\s+\["\\u009b31m","\\u202egnp\.exe"\]$/m)
      const cancel = app.run(process.execPath, ['script/async', 'cancel', String(id)])
      expect(cancel.status).not.toBe(0)
      expect(cancel.stderr).not.toMatch(raw)
      expect(cancel.stderr).toContain(
        'is done\\x1b[8m; only pending or running tasks can be cancelled',
      )
      const stats = cli('stats')
      expect(stats).not.toMatch(raw)
      expect(stats).toContain('mail\\x1b[31m')
      for (const args of [['list'], ['show', String(id)], ['stats']]) {
        const json = cli(...args, '--json')
        expect(json, args[0]).not.toMatch(raw)
        expect(JSON.stringify(JSON.parse(json))).toContain('\\u001b')
      }
      const shownJson = json('show', String(id)) as { queue: string; args: string[] }
      expect(shownJson.queue).toBe('mail\u001b[31m') // escaped for the terminal, same JSON
      expect(shownJson.args).toEqual(['\u009b31m', '\u202egnp.exe'])
    })
  },
)
