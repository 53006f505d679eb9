/**
 * Compile-time checks of `.async()`: the method name must be one of the
 * target's own methods and `args` must fit its parameters. Names inherited
 * from Sequelize's Model, Function or Object are not offered, the same rule
 * the worker applies at run time (registry.ts).
 */
import type { Model, ModelStatic } from 'sequelize'
import type { EnqueueOptions } from './options.js'
import type { RecordTasksOptions } from './record-tasks.js'
import type { AsyncTask } from './task-model.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any[] is the only parameter list every function is assignable to
type AnyFunction = (...args: any[]) => unknown

// sequelize-typescript's Model (a subclass of Sequelize's) adds `$add`,
// `$get`… to records and `initialize` to classes; they are not the app's
// methods either (the worker refuses them: they belong to a package class).
// Named here, so this file needs no import of an optional package.
type Inherited<T> = T extends Model
  ? keyof Model | `$${string}`
  : T extends typeof Model
    ? keyof typeof Model | 'initialize' | 'isInitialized'
    : T extends AnyFunction
      ? 'prototype'
      : never

// `any` extends every type, so an `any` property (sequelize-typescript types
// `id`, `createdAt`… as `number | any`) would pass for a method.
type IsAny<V> = 0 extends 1 & V ? true : false

/** The names of T's own methods. */
export type MethodName<T> = Exclude<
  {
    [K in keyof T]-?: IsAny<T[K]> extends true ? never : T[K] extends AnyFunction ? K : never
  }[keyof T] &
    string,
  Inherited<T> | 'async' | 'schedule'
>

/** The parameter list of T's method K. */
export type MethodArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown
  ? A
  : never

/** Options are required (with args) when the method has required parameters. */
// (A never: the name is already wrong; keep options optional so the compiler
// reports the name, not a missing argument.)
export type OptionsFor<A extends unknown[]> = [A] extends [never]
  ? [options?: EnqueueOptions]
  : [] extends A
    ? [options?: EnqueueOptions<A>]
    : [options: EnqueueOptions<A> & { args: A }]

/** What `.async()` and `.schedule()` add to a registered class or object. */
export interface AsyncCapable<T> {
  async<K extends MethodName<T>>(
    action: K,
    ...options: OptionsFor<MethodArgs<T, K>>
  ): Promise<AsyncTask>
  schedule<K extends MethodName<T>>(
    at: Date,
    action: K,
    ...options: OptionsFor<MethodArgs<T, K>>
  ): Promise<AsyncTask>
}

declare module 'sequelize/types/model' {
  // Merging into Model must repeat its type parameters exactly as Sequelize declares them.
  /* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars */
  interface Model<
    TModelAttributes extends {} = any,
    TCreationAttributes extends {} = TModelAttributes,
  > {
    /* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars */
    /** Runs `this[action](...args)` in a worker; resolves to the stored task. */
    async<K extends MethodName<this>>(
      action: K,
      ...options: OptionsFor<MethodArgs<this, K>>
    ): Promise<AsyncTask>
    /** Like async(), at `at`, with priority 20 unless given. */
    schedule<K extends MethodName<this>>(
      at: Date,
      action: K,
      ...options: OptionsFor<MethodArgs<this, K>>
    ): Promise<AsyncTask>
    /** This record's tasks, newest first (default at most 50), filtered by status and action. */
    asyncTasks(options?: RecordTasksOptions): Promise<AsyncTask[]>
  }
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merges static methods into the Model class
  namespace Model {
    /** Runs the static `Model[action](...args)` in a worker. */
    function async<M, K extends MethodName<M>>(
      this: M,
      action: K,
      ...options: OptionsFor<MethodArgs<M, K>>
    ): Promise<AsyncTask>
    /** Like async(), at `at`, with priority 20 unless given. */
    function schedule<M, K extends MethodName<M>>(
      this: M,
      at: Date,
      action: K,
      ...options: OptionsFor<MethodArgs<M, K>>
    ): Promise<AsyncTask>
    /**
     * `record.async(action, options)` for each record, all or nothing, one
     * INSERT per chunk; resolves to the tasks in the records' order.
     */
    function asyncEach<R extends Model, K extends MethodName<R>>(
      this: ModelStatic<R>,
      records: readonly R[],
      action: K,
      ...options: OptionsFor<MethodArgs<R, K>>
    ): Promise<AsyncTask[]>
  }
}
