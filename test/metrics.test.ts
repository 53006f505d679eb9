/**
 * Prometheus metrics on every dialect: tasks run by a worker of this
 * process, tasks left waiting, a live worker; then the dashboard's
 * `/metrics` is scraped over HTTP and its text parsed by a Prometheus text
 * parser (parse-prometheus-text-format), not by our own code.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format'
import { Sequelize } from 'sequelize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  dashboard,
  DashboardConfigError,
  installAsync,
  METRICS_CONTENT_TYPE,
} from '../src/index.js'
import { exposition } from '../src/metrics/exposition.js'
import { defineApp } from './helpers/app.js'
import { Client, serve } from './helpers/dashboard-client.js'
import { createDb, dialects, type TestDb } from './helpers/db.js'

const TOKEN = 'dashboard-token-0123456789'
const METRICS_TOKEN = 'metrics-token-0123456789'

type Families = Map<string, ParsedFamily>

function parse(text: string): Families {
  return new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]))
}

/** The value of the sample of `name` whose labels include `labels`. */
function valueOf(families: Families, name: string, labels: Record<string, string> = {}): number {
  const sample = families
    .get(name)
    ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  if (sample?.value === undefined) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`)
  return Number(sample.value)
}

describe('the exposition text', () => {
  it('escapes label values and help so a parser reads them back unchanged', () => {
    const queue = 'we"ird\\queue\nname'
    const text = exposition([
      {
        name: 'async_queue_depth',
        help: 'a help text with a \\ and a\nnewline',
        type: 'gauge',
        samples: [{ labels: { queue }, value: 3 }],
      },
    ])
    const [family] = parsePrometheusTextFormat(text)
    expect(family).toMatchObject({ name: 'async_queue_depth', type: 'GAUGE' })
    expect(family!.metrics).toEqual([{ labels: { queue }, value: '3' }])
  })

  it('refuses histogram bounds that are not increasing positive seconds', () => {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
    const options = { metrics: { buckets: [1, 0.5] } }
    expect(() => installAsync(sequelize, options)).toThrow(
      /metrics\.buckets takes increasing positive numbers of seconds/,
    )
  })
})

describe('the metricsToken option', () => {
  const tasks = {} as never
  it('must be 16+ characters, differ from the token, and not come with auth: false', () => {
    expect(() => dashboard(tasks, { token: TOKEN, metricsToken: 'short' })).toThrow(
      DashboardConfigError,
    )
    expect(() => dashboard(tasks, { token: TOKEN, metricsToken: TOKEN })).toThrow(
      /give the scraper a token of its own/,
    )
    expect(() => dashboard(tasks, { auth: false, metricsToken: METRICS_TOKEN })).toThrow(
      /protects nothing with auth: false/,
    )
  })
})

describe.each(dialects)('metrics on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let app: ReturnType<typeof defineApp>
  let server: Awaited<ReturnType<typeof serve>>

  beforeAll(async () => {
    db = await createDb(dialect, 'metrics')
    sequelize = db.connect()
    // Retries wait a minute, so a retried task is not run again during the test.
    app = defineApp(sequelize, { backoff: () => 60_000, metrics: { buckets: [0.5, 1, 10] } })
    await app.tasks.migrate()
    await sequelize.sync()
    server = await serve(dashboard(app.tasks, { token: TOKEN, metricsToken: METRICS_TOKEN }))
  })
  afterAll(async () => {
    await server.close()
    await sequelize.close()
    await db.drop()
  })

  it('serves counters, the run-time histogram, queue depth, oldest due age and live workers', async () => {
    const order = await app.Order.create({ total: 1 })
    for (let i = 0; i < 3; i++) await order.async('sendConfirmationEmail')
    await order.async('fail', { args: ['once more'], maxAttempts: 2 })
    await order.async('fail', { args: ['for good'] })
    expect(await app.tasks.createWorker({ concurrency: 2 }).workOff()).toEqual({
      succeeded: 3,
      failed: 1,
      retried: 1,
    })
    const due = new Date(Date.now() - 90_000)
    await order.async('sendConfirmationEmail', { queue: 'mail', scheduledAt: due })
    await order.async('sendConfirmationEmail', { queue: 'mail', scheduledAt: due })
    await order.async('sendConfirmationEmail', {
      queue: 'mail',
      scheduledAt: new Date(Date.now() + 3_600_000),
    })
    const idle = app.tasks.createWorker({ queues: ['idle'] })
    await idle.start()
    try {
      const page = await new Client(server.origin).get('/metrics', {
        authorization: `Bearer ${METRICS_TOKEN}`,
      })
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE)
      const families = parse(page.html)

      expect(families.get('async_tasks_finished_total')?.type).toBe('COUNTER')
      const finished = (outcome: string) =>
        valueOf(families, 'async_tasks_finished_total', { queue: 'default', outcome })
      expect([finished('succeeded'), finished('failed'), finished('retry')]).toEqual([3, 1, 1])
      expect(finished('lost')).toBe(0)

      expect(families.get('async_task_run_seconds')?.type).toBe('HISTOGRAM')
      // The parser folds a histogram's series into one and drops their labels;
      // without the TYPE lines it reads every bucket, sum and count as a series.
      const series = parse(page.html.replace(/^# TYPE .*\n/gm, ''))
      const bucket = (le: string) =>
        valueOf(series, 'async_task_run_seconds_bucket', { queue: 'default', le })
      expect(series.get('async_task_run_seconds_bucket')?.metrics.map((m) => m.labels?.le)).toEqual(
        ['0.5', '1', '10', '+Inf'],
      )
      expect(bucket('0.5')).toBeLessThanOrEqual(bucket('1'))
      expect(bucket('+Inf')).toBe(5)
      expect(valueOf(series, 'async_task_run_seconds_count', { queue: 'default' })).toBe(5)
      expect(valueOf(series, 'async_task_run_seconds_sum', { queue: 'default' })).toBeLessThan(5)

      expect(families.get('async_queue_depth')?.type).toBe('GAUGE')
      expect(valueOf(families, 'async_queue_depth', { queue: 'mail' })).toBe(2)
      expect(valueOf(families, 'async_queue_depth', { queue: 'idle' })).toBe(0)
      expect(valueOf(families, 'async_queue_depth', { queue: 'default' })).toBe(0)
      const age = valueOf(families, 'async_queue_oldest_due_age_seconds', { queue: 'mail' })
      expect(age).toBeGreaterThanOrEqual(89)
      expect(age).toBeLessThan(600)
      expect(valueOf(families, 'async_queue_oldest_due_age_seconds', { queue: 'idle' })).toBe(0)
      expect(valueOf(families, 'async_workers_alive')).toBe(1)
    } finally {
      await idle.stop()
    }
    expect(valueOf(parse(await app.tasks.metrics()), 'async_workers_alive')).toBe(0)
  })

  it('answers a scrape without the right token with 401, and the metricsToken opens nothing else', async () => {
    const client = new Client(server.origin)
    const none = await client.get('/metrics')
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(none.html).toMatch(/Authorization: Bearer/)
    expect(
      (await client.get('/metrics', { authorization: 'Bearer wrong-token-0123456789' })).status,
    ).toBe(401)
    const tasksPage = await client.get('/tasks', { authorization: `Bearer ${METRICS_TOKEN}` })
    expect(tasksPage.status).toBe(401)
    expect(tasksPage.html).not.toMatch(/sendConfirmationEmail/)
    const withDashboardToken = await client.get('/metrics', { authorization: `Bearer ${TOKEN}` })
    expect(withDashboardToken.status).toBe(200)
    expect(parse(withDashboardToken.html).has('async_workers_alive')).toBe(true)
  })
})
