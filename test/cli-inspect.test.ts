// The inspection commands of `script/async` in a generated CommonJS host app
// on every dialect: list, show, stats, pause/resume, cancel/retry, prune,
// dashboard.
import { spawn } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createHostApp, packPackage, type HostApp } from './helpers/host-app.js'
import { createDatabase, databaseName, dialects, dropDatabase } from './helpers/host-app-db.js'
import { killProcessesIn, waitFor } from './helpers/host-app-processes.js'

describe.each(dialects().map((dialect) => ({ dialect, name: dialect.name })))(
  'script/async inspection commands on $name',
  ({ dialect }) => {
    let app: HostApp
    const database = databaseName(`inspect_${dialect.name}`)
    const cli = (...args: string[]) => app.node(['script/async', ...args])
    const json = (...args: string[]) => JSON.parse(cli(...args, '--json')) as unknown

    beforeAll(async () => {
      app = createHostApp('cjs-js', packPackage(), await createDatabase(dialect, database))
      expect(app.run(process.execPath, ['node_modules/.bin/create-async', '--yes']).status).toBe(0)
      expect(
        app.run(process.execPath, ['node_modules/.bin/sequelize-cli', 'db:migrate']).status,
      ).toBe(0)
      app.node(['enqueue.js', '3'])
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
      expect(again.stderr).toMatch(/is cancelled; only pending tasks can be cancelled/)
      expect(cli('retry', String(first!.id))).toMatch(/queued to run again/)
      expect(cli('work-off')).toMatch(/3 succeeded, 0 failed/)
      const bad = app.run(process.execPath, ['script/async', 'show', 'abc'])
      expect(bad.stderr).toMatch(/show takes a task id/)
      expect(cli('prune')).toMatch(/0 finished task\(s\) past retention deleted/)
    })

    it('serves the dashboard on 127.0.0.1 behind a token', async () => {
      const child = spawn(process.execPath, ['script/async', 'dashboard', '--port=0'], {
        cwd: app.root,
        env: { ...app.env, ASYNC_DASHBOARD_TOKEN: 'inspect-secret' },
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
        const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)![1]!
        expect((await fetch(url, { redirect: 'manual' })).status).not.toBe(200)
        const page = await fetch(url, { headers: { authorization: 'Bearer inspect-secret' } })
        expect(page.status).toBe(200)
        expect(await page.text()).toMatch(/succeeded/)
      } finally {
        child.kill('SIGTERM')
      }
    })
  },
)
