/**
 * `sequelize-async/nest`: background tasks in a NestJS app that uses
 * `@nestjs/sequelize`. `SequelizeAsyncModule.forRootAsync()` installs async on
 * the Sequelize instance that module injects and provides the installation
 * (`tasks`) to every provider:
 *
 * ```ts
 * @Module({
 *   imports: [
 *     SequelizeModule.forRoot({ dialect: 'sqlite', storage: 'db.sqlite', models: [Order] }),
 *     SequelizeAsyncModule.forRootAsync({ useFactory: () => ({ maxAttempts: 3 }) }),
 *   ],
 * })
 * export class AppModule {}
 *
 * constructor(@InjectTasks() private readonly tasks: AsyncTasks) {}
 * ```
 *
 * A worker boots the same AppModule as a standalone application context
 * (no HTTP server), so task methods of providers run with their injected
 * dependencies: `tasksOf(app)` returns the installation of a booted app.
 * `@nestjs/common`, `@nestjs/core` and `@nestjs/sequelize` are optional peer
 * dependencies, loaded only by this entry, never by `sequelize-async` itself.
 */
import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type INestApplicationContext,
} from '@nestjs/common'
import { getConnectionToken } from '@nestjs/sequelize'
import type { Sequelize } from 'sequelize'
// The package's own entry, not ../index.js: one copy of the runtime, whose
// installations config/async.cjs and installationOf() see.
import { installAsync, type AsyncTasks, type InstallOptions } from 'sequelize-async'

/** The injection token of the installation: `@Inject(ASYNC_TASKS)` or `@InjectTasks()`. */
export const ASYNC_TASKS = 'SEQUELIZE_ASYNC_TASKS'
const ASYNC_OPTIONS = 'SEQUELIZE_ASYNC_OPTIONS'

/** Options of `SequelizeAsyncModule.forRootAsync()`. */
export interface SequelizeAsyncModuleAsyncOptions {
  /** Modules whose providers the factory injects (e.g. ConfigModule). */
  imports?: DynamicModule['imports']
  /** Tokens passed to useFactory, in order. */
  inject?: FactoryProvider['inject']
  /** installAsync()'s options; may be async. */
  useFactory: (...args: never[]) => InstallOptions | Promise<InstallOptions>
  /** The @nestjs/sequelize connection name, for apps with several. */
  connection?: string
}

/** Installs async on the injected Sequelize instance; provides it as {@link ASYNC_TASKS}. */
export class SequelizeAsyncModule {
  /** With fixed installAsync() options. */
  static forRoot(options: InstallOptions & { connection?: string } = {}): DynamicModule {
    const { connection, ...install } = options
    return SequelizeAsyncModule.forRootAsync({ useFactory: () => install, connection })
  }

  /** With installAsync() options made by a factory that may inject providers. */
  static forRootAsync(options: SequelizeAsyncModuleAsyncOptions): DynamicModule {
    const tasks: FactoryProvider<AsyncTasks> = {
      provide: ASYNC_TASKS,
      useFactory: (sequelize: Sequelize, install: InstallOptions): AsyncTasks =>
        installAsync<Record<string, object>>(sequelize, install),
      inject: [getConnectionToken(options.connection) as string, ASYNC_OPTIONS],
    }
    return {
      module: SequelizeAsyncModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: ASYNC_OPTIONS,
          useFactory: options.useFactory as (...args: unknown[]) => InstallOptions,
          inject: options.inject ?? [],
        },
        tasks,
      ],
      exports: [ASYNC_TASKS],
    }
  }
}
// Decorators applied by hand: this file is compiled without decorator support.
Global()(SequelizeAsyncModule)
Module({})(SequelizeAsyncModule)

/** Injects the installation: `constructor(@InjectTasks() tasks: AsyncTasks)`. */
export const InjectTasks = (): ParameterDecorator & PropertyDecorator => Inject(ASYNC_TASKS)

/**
 * The installation of a booted Nest application or application context;
 * throws, saying what to add, when its modules do not import SequelizeAsyncModule.
 */
export function tasksOf(app: {
  get(token: string, options?: { strict: boolean }): unknown
}): AsyncTasks {
  try {
    return app.get(ASYNC_TASKS, { strict: false }) as AsyncTasks
  } catch (error) {
    throw new Error(
      "The Nest app provides no sequelize-async installation: add SequelizeAsyncModule.forRootAsync({ useFactory: () => ({}) }) from 'sequelize-async/nest' to the imports of its AppModule.",
      { cause: error },
    )
  }
}

// Apps built into one bundle (`nest build --webpack`) have no AppModule file
// for config/async.cjs to require: the bundle itself runs in worker mode and
// hands its application context over through this process-wide slot.
const WORKER_SLOT = Symbol.for('sequelize-async.nest-worker')
/** Set by config/async.cjs before it loads the bundle. */
export const WORKER_MODE_ENV = 'SEQUELIZE_ASYNC_WORKER'

interface WorkerSlot {
  resolve(context: INestApplicationContext): void
  reject(error: unknown): void
}

/**
 * For bundled apps, first thing in `bootstrap()` of main.ts:
 * `if (await startAsWorker(AppModule)) return`. Under `script/async` it boots
 * the modules without HTTP, hands them to the worker and resolves true;
 * otherwise it does nothing and resolves false.
 */
export async function startAsWorker(module: unknown): Promise<boolean> {
  const slot = (globalThis as Record<symbol, WorkerSlot | undefined>)[WORKER_SLOT]
  if (process.env[WORKER_MODE_ENV] !== '1' || !slot) return false
  try {
    const { NestFactory } = await import('@nestjs/core')
    const context = await NestFactory.createApplicationContext(module as never, {
      logger: ['error', 'warn'],
    })
    slot.resolve(context)
  } catch (error) {
    slot.reject(error)
  }
  return true
}

/**
 * In config/async.cjs of a bundled app: runs the bundle (`dist/main.js`) in
 * worker mode and resolves with the application context its
 * {@link startAsWorker} made; rejects, saying what to add, if it never calls it.
 */
export function loadBundledApp(
  entry: string,
  load: (path: string) => unknown,
  waitMs = 30_000,
): Promise<INestApplicationContext> {
  process.env[WORKER_MODE_ENV] = '1'
  return new Promise<INestApplicationContext>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new Error(
          `${entry} did not hand over its Nest application within ${waitMs} ms: in bootstrap() of the app's main.ts, first thing, add \`if (await startAsWorker(AppModule)) return\` (from 'sequelize-async/nest'), then rebuild.`,
        ),
      )
    }, waitMs)
    const settle =
      <T>(fn: (value: T) => void) =>
      (value: T) => {
        clearTimeout(timer)
        fn(value)
      }
    const slot: WorkerSlot = { resolve: settle(resolve), reject: settle(reject) }
    ;(globalThis as Record<symbol, WorkerSlot>)[WORKER_SLOT] = slot
    try {
      load(entry)
    } catch (error) {
      slot.reject(error)
    }
  })
}
