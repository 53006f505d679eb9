/**
 * `.async()` and `.schedule()` on every Sequelize model (instances and
 * classes) and on registered plain classes and objects; `Model.asyncEach()`
 * and `record.asyncTasks()` on every model. The model methods live
 * on Sequelize's `Model` once, and find their installation through the
 * record's Sequelize instance, so models defined before or after
 * installAsync() both have them.
 */
import { Model, type Sequelize } from 'sequelize'
import type { Context } from './context.js'
import { enqueue } from './enqueue.js'
import { asyncEach } from './enqueue-many.js'
import { recordTasks, type RecordTasksOptions } from './record-tasks.js'
import { EnqueueError } from './errors.js'
import type { EnqueueOptions } from './options.js'
import type { AsyncTask } from './task-model.js'

const installations = new WeakMap<Sequelize, Context>()

export function remember(ctx: Context): void {
  if (installations.has(ctx.sequelize)) {
    throw new EnqueueError(
      'installAsync() was already called on this Sequelize instance; call it once and share the result.',
    )
  }
  installations.set(ctx.sequelize, ctx)
}

function contextOf(sequelize: Sequelize | undefined, name: string): Context {
  const ctx = sequelize && installations.get(sequelize)
  if (!ctx) {
    throw new EnqueueError(
      `${name}.async(): call installAsync(sequelize) on the Sequelize instance of ${name} first.`,
    )
  }
  return ctx
}

type AsyncFn = (this: object, action: string, options?: EnqueueOptions) => Promise<AsyncTask>
type ScheduleFn = (
  this: object,
  at: Date,
  action: string,
  options?: EnqueueOptions,
) => Promise<AsyncTask>

/** `schedule(at, action, opts)`: async() at a time, priority 20 unless given. */
function scheduleOptions(at: unknown, options: EnqueueOptions | undefined): EnqueueOptions {
  if (!(at instanceof Date)) {
    throw new EnqueueError(
      `schedule() takes the time first: schedule(date, 'method', options); got ${typeof at}.`,
    )
  }
  return { ...options, scheduledAt: at }
}

function modelMethods(ctxOf: (self: object) => Context): { async: AsyncFn; schedule: ScheduleFn } {
  return {
    // async functions, so every refusal arrives as a rejected promise.
    async async(action, options) {
      return enqueue(ctxOf(this), this, action, options)
    },
    async schedule(at, action, options) {
      return enqueue(ctxOf(this), this, action, scheduleOptions(at, options), 20)
    },
  }
}

function define(target: object, methods: Record<string, unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(target, name, {
      value: fn,
      writable: true,
      configurable: true,
      enumerable: false,
    })
  }
}

let modelsPatched = false

/** Adds the methods to Sequelize's Model (once per process). */
export function patchModels(): void {
  if (modelsPatched) return
  modelsPatched = true
  define(
    Model.prototype,
    modelMethods((self) =>
      contextOf((self as Model).sequelize, (self.constructor as { name: string }).name),
    ),
  )
  const classCtx = (self: object): Context =>
    contextOf((self as typeof Model).sequelize, (self as { name: string }).name)
  define(Model, modelMethods(classCtx))
  define(Model.prototype, {
    async asyncTasks(this: Model, options?: RecordTasksOptions): Promise<AsyncTask[]> {
      const ctx = contextOf(this.sequelize, (this.constructor as { name: string }).name)
      return recordTasks(ctx, this, options)
    },
  })
  define(Model, {
    async asyncEach(
      this: typeof Model,
      records: unknown,
      action: string,
      options?: EnqueueOptions,
    ): Promise<AsyncTask[]> {
      return asyncEach(classCtx(this), this, records, action, options)
    },
  })
}

/** Adds the methods to a registered plain class or object, unless it has its own. */
export function patchTarget(ctx: Context, name: string, target: object): void {
  for (const method of ['async', 'schedule']) {
    const existing = (target as Record<string, unknown>)[method] as
      { __sequelizeAsync?: boolean } | undefined
    if (existing !== undefined && !existing.__sequelizeAsync) {
      throw new EnqueueError(
        `${name} already has a "${method}" member; rename it, or enqueue with tasks.enqueue(${name}, 'method', options).`,
      )
    }
  }
  const methods = modelMethods(() => ctx)
  for (const fn of Object.values(methods))
    Object.defineProperty(fn, '__sequelizeAsync', { value: true })
  define(target, methods)
}
