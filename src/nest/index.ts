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
import { Global, Inject, Module, type DynamicModule, type FactoryProvider } from '@nestjs/common'
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
