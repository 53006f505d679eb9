/**
 * The dashboard over HTTP on every dialect: pages, filters and keyset paging,
 * actions with confirmation and CSRF, login, escaping and security headers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dashboard } from '../src/dashboard/index.js'
import { dialects } from './helpers/db.js'
import { useTestApp, type App } from './helpers/test-app.js'
import { Client, serve } from './helpers/dashboard-client.js'
import { waitFor } from './helpers/wait.js'

const XSS = '<script>alert(1)</script>'
const TOKEN = 'open-sesame-0123456789'
const unescape = (text = '') => text.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&')
const recurring = [
  {
    key: 'nightly-totals',
    cron: '0 3 * * *',
    target: 'Order',
    action: 'recalculateTotals',
    args: [7],
  },
]

describe.each(dialects)('dashboard on %s', (dialect) => {
  const t = useTestApp(dialect, 'dashboard', { install: { recurring }, clean: true })
  let app: App
  let server: Awaited<ReturnType<typeof serve>>
  let client: Client

  beforeAll(async () => {
    app = t.app
    server = await serve(dashboard(app.tasks, { basePath: '/async', token: TOKEN }))
  })
  beforeEach(async () => {
    client = new Client(server.origin)
    await client.get('/async/login')
    await client.submit('/async/login', '/async/login', { token: TOKEN })
  })
  afterAll(async () => {
    await server?.close()
  })

  async function failedTask(message = 'card declined') {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('fail', { args: [message] })
    await app.tasks.createWorker().workOff()
    return task.reload()
  }

  it('shows counts per status and queue, charts of the last hour and security headers', async () => {
    const order = await app.Order.create({ total: 1 })
    await order.async('sendConfirmationEmail', { queue: 'mail' })
    await order.async('chargeCreditCard', { args: [1, 2] })
    await app.tasks.createWorker({ queues: ['default'] }).workOff()
    await failedTask()
    const page = await client.get('/async/')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
    )
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.html).toMatch(/status-succeeded">succeeded<\/span><b>1<\/b>/)
    expect(page.html).toMatch(/status-failed">failed<\/span><b>1<\/b>/)
    expect(page.html).toMatch(/status-pending">pending<\/span><b>1<\/b>/)
    expect(page.html).toContain('href="/async/tasks?queue&#x3D;mail">mail</a>')
    expect(page.html.match(/<svg /g)).toHaveLength(2)
    // The bar of the current 5 minutes holds the two finished tasks.
    expect(page.html).toMatch(/<title>\d\d:\d\d: 1 succeeded<\/title>/)
    expect(page.html).toMatch(/<title>\d\d:\d\d: 1 failed<\/title>/)
  })

  it('pauses and resumes a queue with a CSRF-protected POST', async () => {
    const order = await app.Order.create({ total: 1 })
    await order.async('sendConfirmationEmail', { queue: 'mail' })
    const refused = await client.post('/async/queues/mail/pause', {})
    expect(refused.status).toBe(403)
    expect(await app.tasks.pausedQueues()).toEqual([])
    const paused = await client.submit('/async/', '/async/queues/mail/pause')
    expect(paused.status).toBe(303)
    expect(paused.headers.get('location')).toBe('/async/?notice=paused')
    expect(await app.tasks.pausedQueues()).toEqual(['mail'])
    expect((await client.get('/async/')).html).toContain('<strong>paused</strong>')
    await client.submit('/async/', '/async/queues/mail/resume')
    expect(await app.tasks.pausedQueues()).toEqual([])
  })

  it('filters the list by status, queue, target and action', async () => {
    const order = await app.Order.create({ total: 1 })
    await order.async('sendConfirmationEmail', { queue: 'mail' })
    await app.tasks.classes.Newsletter.async('deliverAll', { args: ['weekly'] })
    const failed = await failedTask()
    const ids = async (query: string) =>
      [
        ...(await client.get(`/async/tasks?${query}`)).html.matchAll(
          /<td class="num"><a href="\/async\/tasks\/(\d+)">/g,
        ),
      ].map((m) => Number(m[1]))
    expect(await ids('status=failed')).toEqual([failed.id])
    expect(await ids('queue=mail')).toHaveLength(1)
    expect(await ids('objectType=Newsletter')).toHaveLength(1)
    expect(await ids('objectType=Order&action=fail')).toEqual([failed.id])
    const newsletter = await ids('objectType=Newsletter&status=succeeded')
    expect(newsletter).toHaveLength(1)
    expect(await ids('status=succeeded')).toEqual(newsletter)
    expect(await ids('objectType=Newsletter&status=pending')).toEqual([])
    expect(await ids('')).toHaveLength(3)
  })

  it('pages by id with a keyset, 50 rows a page', async () => {
    const rows = Array.from({ length: 120 }, () => ({
      objectType: 'Newsletter',
      action: 'deliverAll',
      argsJson: '["x"]',
      scheduledAt: new Date(),
      ready: 1,
    }))
    await app.tasks.AsyncTask.bulkCreate(rows)
    const all = (
      await app.tasks.AsyncTask.findAll({ attributes: ['id'], order: [['id', 'DESC']] })
    ).map((t) => t.id)
    const idsOf = (html: string) =>
      [...html.matchAll(/<td class="num"><a href="\/async\/tasks\/(\d+)">/g)].map((m) =>
        Number(m[1]),
      )
    const first = await client.get('/async/tasks?objectType=Newsletter')
    expect(idsOf(first.html)).toEqual(all.slice(0, 50))
    const older = unescape(/href="([^"]+)" rel="next"/.exec(first.html)?.[1])
    expect(older).toBe(`/async/tasks?objectType=Newsletter&before=${all[49]}`)
    const second = await client.get(older)
    expect(idsOf(second.html)).toEqual(all.slice(50, 100))
    const third = await client.get(`/async/tasks?objectType=Newsletter&before=${all[99]}`)
    expect(idsOf(third.html)).toEqual(all.slice(100))
    expect(third.html).not.toContain('rel="next"')
    expect(third.html).toContain('« Newest')
  })

  it('links a task to the list of its record’s other tasks, filtered by target and record id', async () => {
    const [a, b] = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }])
    const first = await a!.async('sendConfirmationEmail')
    const second = await a!.async('chargeCreditCard', { args: [1, 2] })
    await b!.async('sendConfirmationEmail')
    const href = `/async/tasks?objectType=Order&objectId=${a!.id}`
    const page = await client.get(`/async/tasks/${first.id}`)
    expect(unescape(page.html)).toContain(`href="${href}">All tasks of Order(${a!.id})</a>`)
    const listed = (await client.get(href)).html.matchAll(
      /<td class="num"><a href="\/async\/tasks\/(\d+)">/g,
    )
    expect([...listed].map((m) => Number(m[1]))).toEqual([second.id, first.id])
    // A stored object id is percent-encoded into the link and escaped in the page.
    await app.tasks.AsyncTask.update({ objectId: `1"&x=<b>` }, { where: { id: second.id } })
    const odd = await client.get(`/async/tasks/${second.id}`)
    expect(odd.html).not.toContain('"><b>')
    expect(odd.html).not.toContain('<b>')
    expect(unescape(odd.html)).toContain(
      'href="/async/tasks?objectType=Order&objectId=1%22%26x%3D%3Cb%3E"',
    )
  })

  it('escapes task data everywhere: args, error text, stack and filter values', async () => {
    const order = await app.Order.create({ total: 1 })
    const pending = await order.async('echo', { args: [XSS] })
    const failed = await failedTask(XSS)
    const pages = [
      await client.get('/async/tasks'),
      await client.get(`/async/tasks/${failed.id}`),
      await client.get(`/async/tasks/${pending.id}`),
      await client.get(`/async/tasks?action=${encodeURIComponent(XSS)}&queue=%22%3E%3Cb%3E`),
      await client.get(`/async/tasks/${failed.id}/confirm?do=retry`),
    ]
    for (const page of pages) {
      expect(page.status).toBe(200)
      expect(page.html).not.toContain('<script')
      expect(page.html).not.toContain('"><b>')
    }
    expect(pages[1]!.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(pages[2]!.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  it('shows a failed task with every attempt error and stack, then retries it through the confirmation', async () => {
    const task = await failedTask('card declined')
    const detail = await client.get(`/async/tasks/${task.id}`)
    expect(detail.html).toContain('RangeError: card declined')
    expect(detail.html).toMatch(/<h3>Attempt 1 at [^<]+: RangeError<\/h3>/)
    expect(detail.html).toMatch(/<pre>RangeError: card declined\n\s+at /)
    expect(detail.html).toContain(`href="/async/tasks/${task.id}/confirm?do=retry"`)

    const confirm = await client.get(`/async/tasks/${task.id}/confirm?do=retry`)
    expect(confirm.html).toContain(`action="/async/tasks/${task.id}/retry"`)
    expect((await client.post(`/async/tasks/${task.id}/retry`, { _csrf: 'forged' })).status).toBe(
      403,
    )
    expect((await task.reload()).status).toBe('failed')

    const done = await client.submit(
      `/async/tasks/${task.id}/confirm?do=retry`,
      `/async/tasks/${task.id}/retry`,
    )
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe(`/async/tasks/${task.id}?notice=retried`)
    expect((await task.reload()).status).toBe('pending')
    expect((await client.get(done.headers.get('location')!)).html).toContain('will run again')
  })

  it('cancels a pending task, deletes a finished one and refuses what the status forbids', async () => {
    const order = await app.Order.create({ total: 1 })
    const pending = await order.async('sendConfirmationEmail', {
      scheduledAt: new Date(Date.now() + 3600e3),
    })
    const confirmPath = `/async/tasks/${pending.id}/confirm?do=cancel`
    await client.submit(confirmPath, `/async/tasks/${pending.id}/cancel`)
    expect((await pending.reload()).status).toBe('cancelled')
    const again = await client.submit(confirmPath, `/async/tasks/${pending.id}/cancel`)
    expect(again.status).toBe(409)
    expect(again.html).toContain('only pending or running tasks can be cancelled')
    expect((await client.get(confirmPath)).status).toBe(409)
    expect((await client.get(`/async/tasks/${pending.id}/confirm?do=explode`)).status).toBe(404)
    expect((await client.get(`/async/tasks/${pending.id}?notice=constructor`)).html).not.toContain(
      'class="notice"',
    )
    const deleted = await client.submit(
      `/async/tasks/${pending.id}/confirm?do=delete`,
      `/async/tasks/${pending.id}/delete`,
    )
    expect(deleted.headers.get('location')).toBe('/async/tasks?notice=deleted')
    expect(await app.tasks.AsyncTask.findByPk(pending.id)).toBeNull()
    expect((await client.get(`/async/tasks/${pending.id}`)).status).toBe(404)
  })

  it('lists the recurring schedule with next runs and the live workers with their tasks', async () => {
    const schedules = await client.get('/async/schedules')
    expect(schedules.html).toContain('nightly-totals')
    expect(schedules.html).toContain('<code>0 3 * * *</code>')
    expect(
      schedules.html.match(/\d{4}-\d\d-\d\d 03:00:00 UTC|\d{4}-\d\d-\d\d \d\d:00:00 UTC/g)?.length,
    ).toBe(5)

    const order = await app.Order.create({ total: 1 })
    const task = await order.async('slow', { args: [800] })
    const worker = app.tasks.createWorker({ uid: 7, pollInterval: 50, leaseMs: 300 })
    await worker.start()
    try {
      const running = async () => Boolean((await app.tasks.workers())[0]?.running.length)
      await waitFor(running, 5000, 'the worker to show its task', 50)
      const page = await client.get('/async/workers')
      expect(page.html).toContain(`<td class="num">${process.pid}</td><td>7</td>`)
      expect(page.html).toContain(`<a href="/async/tasks/${task.id}">${task.id}</a>`)
      expect(page.html).toMatch(/<td>\d+ s ago<\/td>/)
    } finally {
      await worker.stop()
    }
  })

  it('refuses requests without login, wrong tokens and forged login forms', async () => {
    const stranger = new Client(server.origin)
    const refused = await stranger.get('/async/tasks?status=failed')
    expect(refused.status).toBe(401)
    expect(refused.html).toContain('name="token"')
    expect(refused.html).not.toContain('<table>')
    expect(refused.html).toContain('value="/async/tasks?status&#x3D;failed"')
    expect((await stranger.post('/async/login', { token: TOKEN })).status).toBe(403)
    const wrong = await stranger.submit('/async/login', '/async/login', { token: 'nope' })
    expect(wrong.status).toBe(401)
    expect(wrong.html).toContain('That token is not right.')
    const ok = await stranger.submit('/async/login', '/async/login', {
      token: TOKEN,
      next: '/async/tasks?status=failed',
    })
    expect(ok.status).toBe(303)
    expect(ok.headers.get('location')).toBe('/async/tasks?status=failed')
    expect(ok.headers.getSetCookie().join()).toMatch(
      /async_sid=[^;]+; Path=\/async; HttpOnly; SameSite=Strict/,
    )
    expect((await stranger.get('/async/tasks')).status).toBe(200)
    const offsite = await new Client(server.origin).submit('/async/login', '/async/login', {
      token: TOKEN,
      next: '//evil.example/',
    })
    expect(offsite.headers.get('location')).toBe('/async/')

    const bearer = new Client(server.origin)
    expect((await bearer.get('/async/', { Authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await bearer.get('/async/', { Authorization: 'Bearer nope' })).status).toBe(401)

    await stranger.submit('/async/', '/async/logout')
    expect((await stranger.get('/async/')).status).toBe(401)
    expect((await stranger.get('/elsewhere')).status).toBe(404)
  })
})
