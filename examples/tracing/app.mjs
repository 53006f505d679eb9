// The traced shop of the tracing demo: an Order model whose confirmation
// e-mail renders, then sends through a mail server that times out once, and
// an OpenTelemetry tracer provider writing this process's spans to a file.
// demo.mjs runs it twice: as the web process and as the worker process.
import { context, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { DataTypes, Model, Sequelize } from 'sequelize'
import { currentTask, installAsync } from '../../dist/index.js'
import { SpanFileExporter } from './span-file-exporter.mjs'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const tracer = trace.getTracer('shop')

/** What the app's own code looks like: spans of its own, no tracing calls for the task. */
class Order extends Model {
  async sendConfirmationEmail() {
    const html = await tracer.startActiveSpan('render confirmation e-mail', async (span) => {
      await sleep(25)
      span.end()
      return `<p>Thank you for order ${this.id}</p>`
    })
    return tracer.startActiveSpan('smtp send', async (span) => {
      try {
        await sleep(40)
        if (currentTask().task.attempts === 0) throw new Error('SMTP server timed out')
        return `sent ${html.length} bytes`
      } catch (error) {
        span.recordException(error)
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
        throw error
      } finally {
        span.end()
      }
    })
  }
}

/** Opens the shop on `storage`, tracing to `spansFile` as `service`. */
export function openShop({ storage, spansFile, service }) {
  // Before installAsync(), as an app's tracing set-up (e.g. --import ./otel.mjs) would be.
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new SpanFileExporter(spansFile, service))],
  })
  trace.setGlobalTracerProvider(provider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false })
  Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
  const tasks = installAsync(sequelize, {
    tracing: true,
    maxAttempts: 2,
    backoff: () => 150,
    logger: { info: (line) => console.log(`${service}: ${line}`), error: console.error },
  })
  return { sequelize, tasks, Order, provider, tracer }
}
