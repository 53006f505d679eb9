/**
 * Where the dashboard runs: mounted in Express behind the app's own guard
 * (`auth: false`), as a plain node:http handler, and as the standalone server
 * that insists on a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import express from 'express'
import type { Sequelize } from 'sequelize'
import { dashboard, startDashboardServer } from '../src/dashboard/index.js'
import { templates } from '../src/dashboard/render.js'
import { createDb, type TestDb } from './helpers/db.js'
import { defineApp } from './helpers/app.js'
import { Client, serve } from './helpers/dashboard-client.js'

describe('dashboard mounting and the standalone server', () => {
  let db: TestDb
  let sequelize: Sequelize
  let app: ReturnType<typeof defineApp>

  beforeAll(async () => {
    db = await createDb('sqlite', 'dashboard_mount')
    sequelize = db.connect()
    app = defineApp(sequelize)
    await app.tasks.migrate()
    await sequelize.sync()
    // A queue row on the overview, so its page has a form with a CSRF token.
    await app.tasks.classes.Reports.async('build', { args: ['daily'], queue: 'reports' })
  })
  afterAll(async () => {
    await sequelize.close()
    await db.drop()
  })

  it('mounts in Express under its path, leaves other paths to the app and reuses a parsed body', async () => {
    const web = express()
    web.use(express.urlencoded({ extended: false }))
    web.use('/admin/async', dashboard(app.tasks, { auth: false }))
    web.get('/hello', (_req, res) => {
      res.send('app')
    })
    const server = await serve(web)
    try {
      const client = new Client(server.origin)
      const overview = await client.get('/admin/async')
      expect(overview.status).toBe(200)
      expect(overview.html).toContain('href="/admin/async/tasks"')
      expect(overview.html).not.toContain('Log out')
      expect((await client.get('/hello')).html).toBe('app')
      const cookie = (await client.get('/admin/async/tasks')).headers.getSetCookie()
      expect(cookie).toEqual([])
      expect([...client.cookies.keys()]).toEqual(['async_sid'])
      const paused = await client.submit('/admin/async/', '/admin/async/queues/reports/pause')
      expect(paused.status).toBe(303)
      expect(paused.headers.get('location')).toBe('/admin/async/?notice=paused')
      expect(await app.tasks.pausedQueues()).toEqual(['reports'])
      expect((await client.post('/admin/async/queues/reports/resume', {})).status).toBe(403)
      await client.submit('/admin/async/', '/admin/async/queues/reports/resume')
      expect(await app.tasks.pausedQueues()).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('serves plain node:http under basePath and answers 404 outside it', async () => {
    const server = await serve(dashboard(app.tasks, { basePath: '/ops/', auth: false }))
    try {
      const client = new Client(server.origin)
      expect((await client.get('/ops')).html).toContain('href="/ops/workers"')
      expect((await client.get('/ops/workers')).status).toBe(200)
      expect((await client.get('/opsx')).status).toBe(404)
      expect((await client.get('/ops/nothing')).status).toBe(404)
      expect((await client.post('/ops/tasks', {})).status).toBe(403)
      expect((await client.submit('/ops/', '/ops/tasks')).status).toBe(405)
      const huge = await client.post('/ops/queues/x/pause', { _csrf: 'x'.repeat(20_000) })
      expect(huge.status).toBe(413)
    } finally {
      await server.close()
    }
  })

  it('starts the standalone server on 127.0.0.1 behind the given token', async () => {
    const token = 'standalone-token-0123456789'
    const lines: string[] = []
    const started = await startDashboardServer({
      tasks: app.tasks,
      port: 0,
      token,
      logger: { info: (line) => lines.push(line) },
    })
    try {
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
      expect(started.token).toBe(token)
      expect(lines.join('\n')).not.toContain(token)
      const origin = started.url.replace(/\/$/, '')
      const client = new Client(origin)
      expect((await client.get('/')).status).toBe(401)
      const login = await client.submit('/login', '/login', { token })
      expect(login.status).toBe(303)
      expect(login.headers.getSetCookie().join()).toMatch(/HttpOnly; SameSite=Strict/)
      expect((await client.get('/')).status).toBe(200)
      for (const next of [
        '//evil.example/',
        '/\t/evil.example/',
        '/\\evil.example/',
        'https://evil.example/',
      ]) {
        const other = new Client(origin)
        const res = await other.submit('/login', '/login', { token, next })
        expect(res.headers.get('location'), next).toBe('/')
      }
      const bearer = await fetch(`${origin}/tasks`, {
        headers: { Authorization: `Bearer ${token}` },
      })
      expect(bearer.status).toBe(200)
    } finally {
      await started.close()
    }
  })

  it('keeps the given token secret and refuses a wrong one', async () => {
    const lines: string[] = []
    const started = await startDashboardServer({
      tasks: app.tasks,
      port: 0,
      token: 'a-long-operator-token',
      logger: { info: (line) => lines.push(line) },
    })
    try {
      expect(lines.join('\n')).not.toContain('a-long-operator-token')
      const res = await fetch(`${started.url}workers`, { headers: { Authorization: 'Bearer x' } })
      expect(res.status).toBe(401)
    } finally {
      await started.close()
    }
  })

  it('has no triple-stash in any template, so every value is escaped', () => {
    for (const [name, source] of Object.entries(templates)) {
      expect(source, name).not.toContain('{{{')
      expect(source, name).not.toMatch(/\{\{&/)
    }
  })
})
