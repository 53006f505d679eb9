/**
 * OpenTelemetry tracing of tasks, after the messaging semantic conventions:
 *
 * - enqueue makes a PRODUCER span (`publish <queue>`), child of whatever span
 *   is active (an HTTP request, a task that enqueues another), and stores its
 *   context on the row (`trace_context`);
 * - each run makes a CONSUMER span (`process <queue>`) in the worker, whose
 *   parent is that stored context and which also links to it (the
 *   conventions ask for the link; the parent makes the trace one tree), and
 *   runs the method inside it, so spans the method makes join the trace;
 * - a failed run records its error on its span; a retry is a new run, so a
 *   new CONSUMER span under the same PRODUCER span, in the same trace.
 *
 * Off (the default) the package never loads `@opentelemetry/api`, and the
 * worker's only cost is `ctx.tracing === null`. On without a registered
 * tracer provider, each enqueue and run asks the API for its provider, finds
 * the same no-op delegate as last time, and makes no span.
 *
 * Tracing never fails a task: an error of the tracer or exporter is dropped.
 */
import type { Span, SpanContext, Tracer } from '@opentelemetry/api'
import type { NewTask, TaskRow } from '../lifecycle/index.js'
import { labelOf } from '../lifecycle/index.js'
import { loadOtelApi, type OtelApi } from './load.js'
import { formatTraceContext, parseTraceContext } from './trace-context.js'

export const TRACER_NAME = 'sequelize-async'
export const MESSAGING_SYSTEM = 'sequelize_async'

/** A run's outcome, as the executor reports it. */
type Ran = { ok: true } | { ok: false; error: unknown } | { ok: false; snooze: number }

export class Tracing {
  /** The provider behind the API's proxy when the tracer was last looked up. */
  private provider: unknown = undefined
  private tracer: Tracer | undefined

  constructor(private readonly api: OtelApi) {}

  /** The registered provider's tracer, or undefined while none is registered. */
  current(): Tracer | undefined {
    const provider = this.api.trace.getTracerProvider() as ReturnType<
      OtelApi['trace']['getTracerProvider']
    > & { getDelegate?: () => unknown; getDelegateTracer?: (name: string) => Tracer | undefined }
    // The API hands out a proxy; what it delegates to changes only when an
    // SDK registers (or the app disables) a provider.
    const delegate = provider.getDelegate ? provider.getDelegate() : provider
    if (delegate !== this.provider) {
      this.provider = delegate
      this.tracer = provider.getDelegateTracer
        ? provider.getDelegateTracer(TRACER_NAME)
        : provider.getTracer(TRACER_NAME)
    }
    return this.tracer
  }

  /** enqueue: `insert` runs inside a PRODUCER span whose context `task` carries to the row. */
  async enqueue<T>(
    task: NewTask,
    insert: () => Promise<T>,
    idOf: (stored: T) => number,
  ): Promise<T> {
    const span = this.startPublish(task)
    if (!span) return insert()
    const { context, trace } = this.api
    try {
      const stored = await context.with(trace.setSpan(context.active(), span), insert)
      guarded(() => span.setAttribute('messaging.message.id', String(idOf(stored))))
      return stored
    } catch (err) {
      this.fail(span, err)
      throw err
    } finally {
      guarded(() => span.end())
    }
  }

  /**
   * enqueue many: one PRODUCER span for the whole call (`publish <queue>`,
   * or `publish` when the tasks go to several queues), with the batch size
   * as `messaging.batch.message_count`; every task carries its context, so
   * each run's CONSUMER span is a child of that one span.
   */
  async enqueueBatch<T>(tasks: NewTask[], insert: () => Promise<T>): Promise<T> {
    const span = this.startBatch(tasks)
    if (!span) return insert()
    const { context, trace } = this.api
    try {
      return await context.with(trace.setSpan(context.active(), span), insert)
    } catch (err) {
      this.fail(span, err)
      throw err
    } finally {
      guarded(() => span.end())
    }
  }

  /** execute: `run` (the method) runs inside a CONSUMER span continuing the task's trace. */
  async execute<T extends Ran>(row: TaskRow, workerId: string, run: () => Promise<T>): Promise<T> {
    const started = this.startProcess(row, workerId)
    if (!started) return run()
    const { span, parent } = started
    const { context, trace } = this.api
    try {
      const outcome = await context.with(trace.setSpan(parent, span), run)
      if (!outcome.ok && 'error' in outcome) this.fail(span, outcome.error)
      return outcome
    } finally {
      guarded(() => span.end())
    }
  }

  private startPublish(task: NewTask): Span | undefined {
    const tracer = this.current()
    if (!tracer) return undefined
    return guarded(() => {
      const span = tracer.startSpan(`publish ${task.queue}`, {
        kind: this.api.SpanKind.PRODUCER,
        attributes: { ...this.messaging(task.queue, 'publish', 'enqueue'), ...taskAttrs(task) },
      })
      const context = span.spanContext()
      if (this.api.isSpanContextValid(context)) {
        task.traceContext = formatTraceContext({
          ...context,
          traceState: context.traceState?.serialize(),
        })
      }
      return span
    })
  }

  private startBatch(tasks: NewTask[]): Span | undefined {
    const tracer = this.current()
    if (!tracer || tasks.length === 0) return undefined
    return guarded(() => {
      const queues = new Set(tasks.map((task) => task.queue))
      const queue = queues.size === 1 ? (tasks[0] as NewTask).queue : undefined
      const messaging = this.messaging(queue ?? '', 'publish', 'enqueue_many')
      if (!queue) delete (messaging as Partial<typeof messaging>)['messaging.destination.name']
      const span = tracer.startSpan(queue ? `publish ${queue}` : 'publish', {
        kind: this.api.SpanKind.PRODUCER,
        attributes: { ...messaging, 'messaging.batch.message_count': tasks.length },
      })
      const context = span.spanContext()
      if (this.api.isSpanContextValid(context)) {
        const traceContext = formatTraceContext({
          ...context,
          traceState: context.traceState?.serialize(),
        })
        for (const task of tasks) task.traceContext = traceContext
      }
      return span
    })
  }

  private startProcess(row: TaskRow, workerId: string) {
    const tracer = this.current()
    if (!tracer) return undefined
    return guarded(() => {
      const { trace, ROOT_CONTEXT, SpanKind } = this.api
      const creation = this.creationContext(row.traceContext)
      // From the root, not the worker loop's context: a worker started
      // inside some span must not hang every task under it.
      const parent = creation ? trace.setSpanContext(ROOT_CONTEXT, creation) : ROOT_CONTEXT
      const span = tracer.startSpan(
        `process ${row.queue}`,
        {
          kind: SpanKind.CONSUMER,
          links: creation ? [{ context: creation }] : [],
          attributes: {
            ...this.messaging(row.queue, 'process', 'execute'),
            ...taskAttrs(row),
            'messaging.message.id': String(row.id),
            'messaging.client.id': workerId,
            'sequelize_async.task.attempt': row.attempts + 1,
          },
        },
        parent,
      )
      return { span, parent }
    })
  }

  /** The stored context as a remote parent, or undefined when absent or not valid. */
  private creationContext(stored: string | null): SpanContext | undefined {
    const parsed = parseTraceContext(stored)
    if (!parsed) return undefined
    const { traceState, ...ids } = parsed
    const context: SpanContext = { ...ids, isRemote: true }
    if (traceState) context.traceState = this.api.createTraceState(traceState)
    return this.api.isSpanContextValid(context) ? context : undefined
  }

  private messaging(queue: string, type: string, name: string) {
    return {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.destination.name': queue,
      // `messaging.operation` as semantic conventions up to 1.24 name it,
      // `messaging.operation.type`/`.name` as later ones do.
      'messaging.operation': type,
      'messaging.operation.type': type,
      'messaging.operation.name': name,
    }
  }

  private fail(span: Span, error: unknown): void {
    guarded(() => {
      const err = error instanceof Error ? error : new Error(String(error))
      span.recordException(err)
      span.setAttribute('error.type', err.name || 'Error')
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: err.message })
    })
  }
}

function taskAttrs(task: Pick<TaskRow, 'objectType' | 'objectId' | 'action' | 'priority'>) {
  return {
    'sequelize_async.task.label': labelOf(task),
    'sequelize_async.task.priority': task.priority,
  }
}

/** Runs a tracing step; a tracer or exporter that throws must not fail the task. */
function guarded<T>(step: () => T): T | undefined {
  try {
    return step()
  } catch {
    return undefined
  }
}

/** Tracing for an installation: null when the `tracing` option is off. */
export function createTracing(option: unknown): Tracing | null {
  const api = loadOtelApi(option)
  return api ? new Tracing(api) : null
}
