// sequelize-async/nest as a Nest app types it: forRoot/forRootAsync options,
// @InjectTasks() on a constructor parameter, tasksOf() on an app context.
// Lines marked with an expect-error directive must not compile.
import 'reflect-metadata'
import { Injectable, Module } from '@nestjs/common'
import type { INestApplicationContext } from '@nestjs/common'

import type { AsyncTasks } from '../../../src/index.js'
import { InjectTasks, SequelizeAsyncModule, tasksOf } from '../../../src/nest/index.js'

@Injectable()
class ConfigService {
  attempts(): number {
    return 3
  }
}

@Injectable()
export class ReportsService {
  constructor(@InjectTasks() private readonly tasks: AsyncTasks) {}

  build(month: number): string {
    return String(month)
  }

  async later(): Promise<void> {
    // `this` is polymorphic: name the class so the method name is checked.
    const self = this as ReportsService
    await this.tasks.enqueue(self, 'build', { args: [11] })
    // @ts-expect-error -- a string where build() takes a number
    await this.tasks.enqueue(self, 'build', { args: ['11'] })
    // @ts-expect-error -- not a method of ReportsService
    await this.tasks.enqueue(self, 'buld', { args: [11] })
  }
}

@Module({
  imports: [
    SequelizeAsyncModule.forRoot({ maxAttempts: 2, connection: 'reports' }),
    SequelizeAsyncModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({ maxAttempts: config.attempts() }),
    }),
    // @ts-expect-error -- maxAttempts is a number
    SequelizeAsyncModule.forRoot({ maxAttempts: 'three' }),
    // @ts-expect-error -- the factory must return installAsync() options
    SequelizeAsyncModule.forRootAsync({ useFactory: () => ({ retries: 3 }) }),
  ],
  providers: [ConfigService, ReportsService],
})
export class AppModule {}

export async function worker(context: INestApplicationContext): Promise<number> {
  const counts = await tasksOf(context).createWorker({ concurrency: 2 }).workOff()
  return counts.succeeded
}
