// A trace from an HTTP request through a task, drawn as the picture in
// docs/observability.md:
//
//   npm run build && node examples/tracing/demo.mjs [out.png]
//
// A worker process (this file again, with --worker) waits for work; a web
// process answers `POST /orders` inside a SERVER span (what an HTTP
// instrumentation makes) and enqueues the order's confirmation e-mail; the
// worker runs it: the first try times out, the retry sends it. Both write their spans to one file;
// timeline.mjs draws them and headless Chromium saves the PNG
// (default docs/images/trace-timeline.png). Embedded SQLite.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { openShop } from './app.mjs'
import { screenshot, timelineSvg } from './timeline.mjs'

const DEFAULT_PNG = fileURLToPath(new URL('../../docs/images/trace-timeline.png', import.meta.url))

if (process.argv[2] === '--worker') await runWorker()
else await runWeb(process.argv[2] ?? DEFAULT_PNG)

async function runWorker() {
  const { storage, spansFile } = JSON.parse(process.env.TRACING_DEMO)
  const shop = openShop({ storage, spansFile, service: 'worker' })
  // Started as a daemon runs it, until the retry (due 150 ms after the
  // first try) has succeeded.
  const worker = shop.tasks.createWorker({ pollInterval: 50 })
  const succeeded = new Promise((resolve) => worker.once('task:success', resolve))
  await worker.start()
  console.log('worker: ready')
  await succeeded
  await worker.stop()
  await shop.provider.shutdown()
  await shop.sequelize.close()
}

/** Starts the worker process; resolves once it waits for work, with a promise of its exit. */
async function startWorker(config) {
  const worker = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker'], {
    env: { ...process.env, TRACING_DEMO: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise((resolve, reject) =>
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker: ${code}`)))),
  )
  await new Promise((resolve) =>
    worker.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      if (String(chunk).includes('worker: ready')) resolve()
    }),
  )
  return { exited }
}

/** `POST /orders`, inside a SERVER span as an HTTP instrumentation would make it. */
function handler(shop) {
  return (req, res) =>
    shop.tracer.startActiveSpan(
      `${req.method} /orders`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      async (span) => {
        try {
          const order = await shop.Order.create({ total: 42 })
          const task = await order.async('sendConfirmationEmail')
          res.writeHead(201, { 'Content-Type': 'application/json' })
          res.end(JSON.stringify({ order: order.id, task: task.id }))
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) })
          res.writeHead(500).end()
        } finally {
          span.setAttribute('http.response.status_code', res.statusCode)
          span.end()
        }
      },
    )
}

async function runWeb(png) {
  const dir = mkdtempSync(join(tmpdir(), 'sequelize-async-tracing-'))
  const config = { storage: join(dir, 'shop.sqlite'), spansFile: join(dir, 'spans.jsonl') }
  try {
    const shop = openShop({ ...config, service: 'web' })
    await shop.tasks.migrate()
    await shop.sequelize.sync()
    const worker = await startWorker(config)
    const server = createServer(handler(shop)).listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const reply = await fetch(`http://127.0.0.1:${server.address().port}/orders`, {
      method: 'POST',
    })
    console.log(`web: POST /orders → ${reply.status} ${await reply.text()}`)
    server.close()
    await worker.exited
    await shop.provider.shutdown()
    await shop.sequelize.close()
    const spans = readFileSync(config.spansFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    await screenshot(timelineSvg(spans), png)
    console.log(`${spans.length} spans of trace ${spans[0].traceId} drawn to ${png}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
