/**
 * OpenTelemetry tracing across processes, on every dialect: this process
 * (with an in-memory exporter) enqueues inside an "HTTP request" span; a
 * worker in a child process (test/fixtures/traced-worker.mjs, exporting to a
 * file) executes. The spans must form one trace: request → PRODUCER →
 * CONSUMER → the method's own span, with retries as further CONSUMER spans.
 */
import { execFile } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { DataTypes, Model, Sequelize } from 'sequelize'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDb, dialects, type TestDb } from './helpers/db.js'
import { quietLogger } from './helpers/app.js'
import { installAsync, type AsyncTask, type InstallOptions } from '../src/index.js'

const run = promisify(execFile)

interface ExportedSpan {
  name: string
  kind: number
  traceId: string
  spanId: string
  parentSpanId?: string
  attributes: Record<string, unknown>
  links: Array<{ traceId: string; spanId: string }>
  events: Array<{ name: string; attributes: Record<string, unknown> }>
  status: { code: number; message?: string }
  pid: number
}

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })

function register(): void {
  trace.setGlobalTracerProvider(provider)
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  register()
})
afterAll(async () => {
  trace.disable()
  context.disable()
  await provider.shutdown()
})

/** An "HTTP request" span of this process, active while `fn` runs. */
function inRequest<T>(fn: () => Promise<T>): Promise<{ value: T; span: ReadableSpan }> {
  return trace
    .getTracer('web')
    .startActiveSpan('POST /orders', { kind: SpanKind.SERVER }, async (span) => {
      const value = await fn()
      span.end()
      return { value, span: span as unknown as ReadableSpan }
    })
}

/**
 * The app as the enqueuing process knows it; the worker process
 * (traced-worker.mjs) defines the same methods with bodies that make spans.
 */
function defineApp(sequelize: Sequelize, options: InstallOptions = {}) {
  class Order extends Model {
    declare id: number
    traced(): void {}
    flaky(): void {}
    broken(): void {}
    sendConfirmationEmail(): string {
      return `sent ${this.id}`
    }
  }
  Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
  return { Order, tasks: installAsync(sequelize, { logger: quietLogger(), ...options }) }
}

const producerOf = (taskId: number): ReadableSpan => {
  const found = exporter
    .getFinishedSpans()
    .find((s) => s.attributes['messaging.message.id'] === String(taskId))
  if (!found) throw new Error(`no PRODUCER span for task ${taskId}`)
  return found
}

describe.each(dialects)('tracing on %s', (dialect) => {
  let db: TestDb
  let sequelize: Sequelize
  let app: ReturnType<typeof defineApp>
  let dir: string

  beforeAll(async () => {
    db = await createDb(dialect, 'tracing')
    sequelize = db.connect()
    app = defineApp(sequelize, { tracing: true })
    await app.tasks.migrate()
    await sequelize.sync()
    dir = mkdtempSync(join(tmpdir(), 'sa-tracing-'))
  })
  afterAll(async () => {
    await sequelize.close()
    await db.drop()
    rmSync(dir, { recursive: true, force: true })
  })
  beforeEach(() => exporter.reset())

  it('continues the trace of the enqueuing request in a worker process, retries included', async () => {
    const order = await app.Order.create({ total: 5 })
    const { value: tasks, span: request } = await inRequest(async () => [
      await order.async('traced', { queue: 'mail' }),
      await order.async('flaky', { maxAttempts: 2 }),
      await order.async('broken'),
    ])
    const [traced, flaky, broken] = tasks as [AsyncTask, AsyncTask, AsyncTask]
    const producer = producerOf(traced.id)
    const requestContext = request.spanContext()
    expect(producer.kind).toBe(SpanKind.PRODUCER)
    expect(producer.name).toBe('publish mail')
    expect(producer.spanContext().traceId).toBe(requestContext.traceId)
    expect(producer.parentSpanContext?.spanId).toBe(requestContext.spanId)
    expect(producer.attributes).toMatchObject({
      'messaging.system': 'sequelize_async',
      'messaging.destination.name': 'mail',
      'messaging.operation': 'publish',
      'messaging.operation.type': 'publish',
      'sequelize_async.task.label': `Order(${order.id})#traced`,
    })
    const stored = await app.tasks.AsyncTask.findByPk(traced.id)
    const expected = `00-${requestContext.traceId}-${producer.spanContext().spanId}-01`
    expect(stored?.traceContext).toBe(expected)
    expect(traced.traceContext).toBe(expected)

    const spansFile = join(dir, `${dialect}-spans.jsonl`)
    const worker = await run(process.execPath, ['test/fixtures/traced-worker.mjs'], {
      env: { ...process.env, ASYNC_TEST_DB: JSON.stringify(db.config), SPANS_FILE: spansFile },
    })
    expect(JSON.parse(worker.stdout)).toEqual({ succeeded: 2, failed: 1, retried: 1 })
    const spans = readFileSync(spansFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as ExportedSpan)
    expect(new Set(spans.map((s) => s.pid)).has(process.pid)).toBe(false)
    const consumers = (taskId: number) =>
      spans.filter((s) => s.attributes['messaging.message.id'] === String(taskId))

    // One run of `traced`: child of its PRODUCER span, linked to it, the method's span inside.
    const [process1] = consumers(traced.id)
    expect(consumers(traced.id)).toHaveLength(1)
    expect(process1).toMatchObject({
      name: 'process mail',
      kind: SpanKind.CONSUMER,
      traceId: requestContext.traceId,
      parentSpanId: producer.spanContext().spanId,
      links: [{ traceId: requestContext.traceId, spanId: producer.spanContext().spanId }],
      status: { code: SpanStatusCode.UNSET },
    })
    expect(process1!.attributes).toMatchObject({
      'messaging.system': 'sequelize_async',
      'messaging.destination.name': 'mail',
      'messaging.operation': 'process',
      'sequelize_async.task.label': `Order(${order.id})#traced`,
      'sequelize_async.task.attempt': 1,
    })
    const inner = spans.find((s) => s.name === 'render receipt')
    expect(inner).toMatchObject({ traceId: requestContext.traceId, parentSpanId: process1!.spanId })

    // `flaky` fails, then runs again: two CONSUMER spans of the same trace, same parent.
    const flakyProducer = producerOf(flaky.id).spanContext()
    const runs = consumers(flaky.id).sort(
      (a, b) =>
        Number(a.attributes['sequelize_async.task.attempt']) -
        Number(b.attributes['sequelize_async.task.attempt']),
    )
    expect(runs.map((s) => s.attributes['sequelize_async.task.attempt'])).toEqual([1, 2])
    for (const span of runs) {
      expect(span.traceId).toBe(requestContext.traceId)
      expect(span.parentSpanId).toBe(flakyProducer.spanId)
    }
    expect(runs[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'the first try fails' })
    expect(runs[0]!.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.message': 'the first try fails' },
    })
    expect(runs[0]!.attributes['error.type']).toBe('Error')
    expect(runs[1]!.status.code).toBe(SpanStatusCode.UNSET)

    // `broken` fails for good, with its error on its span.
    const [failed] = consumers(broken.id)
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR)
    expect(failed!.attributes['error.type']).toBe('RangeError')
    expect(failed!.events[0]!.attributes['exception.type']).toBe('RangeError')
  })

  it('makes one PRODUCER span for an enqueueMany, parent of every task’s run', async () => {
    const orders = await app.Order.bulkCreate([{ total: 1 }, { total: 2 }, { total: 3 }])
    const { value: stored, span: request } = await inRequest(() =>
      app.Order.asyncEach(orders, 'sendConfirmationEmail'),
    )
    const producers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER)
    expect(producers).toHaveLength(1)
    const producer = producers[0]!
    expect(producer.name).toBe('publish default')
    expect(producer.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(producer.attributes['messaging.batch.message_count']).toBe(3)
    const id = producer.spanContext().spanId
    expect(stored.every((t) => t.traceContext?.includes(id))).toBe(true)
    await app.tasks.createWorker().workOff()
    const runs = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER)
    expect(runs).toHaveLength(3)
    expect(runs.every((s) => s.parentSpanContext?.spanId === id)).toBe(true)
  })

  it('starts a trace of its own for a row without a valid trace context', async () => {
    const order = await app.Order.create({ total: 1 })
    const task = await order.async('sendConfirmationEmail')
    // As anyone who can write the table might leave it: not a traceparent.
    await app.tasks.AsyncTask.update(
      { traceContext: '00-ZZZ-not-a-context' },
      { where: { id: task.id } },
    )
    exporter.reset()
    await app.tasks.createWorker().workOff()
    const [span] = exporter
      .getFinishedSpans()
      .filter((s) => s.attributes['messaging.message.id'] === String(task.id))
    expect(span?.kind).toBe(SpanKind.CONSUMER)
    expect(span?.parentSpanContext).toBeUndefined()
    expect(span?.links).toEqual([])
  })

  it('makes no span and stores no context while no tracer provider is registered', async () => {
    trace.disable()
    try {
      const order = await app.Order.create({ total: 2 })
      const task = await order.async('sendConfirmationEmail')
      expect(task.traceContext).toBeNull()
      await app.tasks.createWorker().workOff()
      expect(exporter.getFinishedSpans()).toEqual([])
      const stored = await app.tasks.AsyncTask.findByPk(task.id)
      expect(stored?.status).toBe('succeeded')
      expect(stored?.traceContext).toBeNull()
    } finally {
      register()
    }
  })

  it('makes no span and stores no context with tracing off, even with a provider', async () => {
    const plain = defineApp(db.connect(), {})
    try {
      const order = await plain.Order.create({ total: 3 })
      const { value: task } = await inRequest(() => order.async('sendConfirmationEmail'))
      expect(task.traceContext).toBeNull()
      await plain.tasks.createWorker().workOff()
      const spans = exporter.getFinishedSpans().map((s) => s.name)
      expect(spans).toEqual(['POST /orders'])
    } finally {
      await plain.tasks.sequelize.close()
    }
  })
})

/**
 * An app whose node_modules has everything but @opentelemetry: the built
 * package (copied, so it resolves from the app) must load, enqueue and run
 * tasks without it, and refuse `tracing: true` saying what to install.
 */
describe('without @opentelemetry/api installed', () => {
  const SCRIPT = `
import { createRequire } from 'node:module'
import { DataTypes, Model, Sequelize } from 'sequelize'
import { installAsync } from 'sequelize-async'
const require = createRequire(import.meta.url)
const cjs = require('sequelize-async')
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
class Order extends Model { noop() { return 'ran' } }
Order.init({ total: DataTypes.INTEGER }, { sequelize })
const tasks = installAsync(sequelize, { logger: { info() {}, error: console.error } })
await tasks.migrate()
await sequelize.sync()
await (await Order.create({ total: 1 })).async('noop')
const counts = await tasks.createWorker().workOff()
const refusals = []
for (const install of [installAsync, cjs.installAsync]) {
  const other = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
  try { install(other, { tracing: true }) } catch (err) { refusals.push(err.message) }
  await other.close()
}
const loaded = Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'))
await sequelize.close()
console.log(JSON.stringify({ counts, refusals, loaded }))
`

  it('runs tasks without loading it, and refuses tracing: true with what to install', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sa-no-otel-'))
    try {
      const modules = join(root, 'node_modules')
      mkdirSync(modules)
      for (const name of readdirSync('node_modules')) {
        if (name === '@opentelemetry' || name.startsWith('.')) continue
        symlinkSync(join(process.cwd(), 'node_modules', name), join(modules, name))
      }
      const own = join(modules, 'sequelize-async')
      mkdirSync(own)
      cpSync('dist', join(own, 'dist'), { recursive: true })
      cpSync('package.json', join(own, 'package.json'))
      writeFileSync(join(root, 'app.mjs'), SCRIPT)
      const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: root })
      const result = JSON.parse(stdout) as { counts: object; refusals: string[]; loaded: string[] }
      expect(result.counts).toEqual({ succeeded: 1, failed: 0, retried: 0 })
      expect(result.loaded).toEqual([])
      expect(result.refusals).toHaveLength(2)
      for (const message of result.refusals) {
        expect(message).toMatch(
          /tracing: true needs the package @opentelemetry\/api: npm install @opentelemetry\/api/,
        )
      }
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('refuses a tracing option that is not true or false', () => {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
    expect(() => installAsync(sequelize, { tracing: 'yes' as never })).toThrow(
      /option tracing takes true or false; got string/,
    )
  })
})
