// Two TypeScript host apps built with tsc, as their users run them:
// - 'ts-dist': sequelize-typescript models (@Table/@Column, types from the
//   decorator metadata only tsc emits), CommonJS, a .sequelizerc pointing at
//   dist/, yarn as package manager;
// - 'nest': NestJS 11 with @nestjs/sequelize and sequelize-typescript,
//   tasks enqueued from a service whose task method uses another provider.
// Both read DATABASE_URL (sqlite:/path) and are compiled by `npm run build`.
import { readFileSync } from 'node:fs'

/** An ordinary app migration, so the generated one runs beside existing ones (every host app). */
export const ORDERS_MIGRATION = readFileSync(
  new URL('../fixtures/create-orders-migration.cjs', import.meta.url),
  'utf8',
)

const CLI_CONFIG = JSON.stringify({ development: { use_env_variable: 'DATABASE_URL' } })

const COMPILER = {
  target: 'ES2022',
  module: 'commonjs',
  moduleResolution: 'node',
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
}

const ORDER_MODEL = `import { Column, Model, Table } from 'sequelize-typescript'

@Table({ tableName: 'orders' })
export class Order extends Model {
  // No DataType given: sequelize-typescript reads it from the metadata tsc emits.
  @Column
  declare email: string

  async sendConfirmationEmail(greeting: string): Promise<string> {
    return \`\${greeting} \${this.email}, order \${this.id} is confirmed\`
  }
}
`

const ORDERS_MIGRATION_TS = `import type { QueryInterface } from 'sequelize'

export async function up(queryInterface: QueryInterface, Sequelize: any): Promise<void> {
  await queryInterface.createTable('orders', {
    id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true },
    email: { type: Sequelize.STRING, allowNull: false },
    createdAt: Sequelize.DATE,
    updatedAt: Sequelize.DATE,
  })
}

export async function down(queryInterface: QueryInterface): Promise<void> {
  await queryInterface.dropTable('orders')
}
`

const TS_DIST: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'ts-dist-shop',
    private: true,
    scripts: { build: 'tsc -p tsconfig.json' },
    dependencies: {
      sequelize: '^6',
      'sequelize-typescript': '^2',
      'reflect-metadata': '*',
      sqlite3: '*',
      'sequelize-cli': '^6',
    },
    devDependencies: { typescript: '*' },
  }),
  'yarn.lock': '# yarn lockfile v1\n',
  // Comments and a trailing comma, as tsconfig.json files have.
  'tsconfig.json': `{
  // compiled by \`yarn build\`
  "compilerOptions": ${JSON.stringify({ ...COMPILER, rootDir: 'src', outDir: 'dist' })},
  "include": ["src"], /* sources only */
}
`,
  '.sequelizerc': `const path = require('path')
module.exports = {
  config: path.resolve('config', 'database.json'),
  'models-path': path.resolve('dist', 'models'),
  'migrations-path': path.resolve('dist', 'db', 'migrations'),
}
`,
  'config/database.json': CLI_CONFIG,
  'src/db/migrations/20200101000000-create-orders.ts': ORDERS_MIGRATION_TS,
  'src/models/order.model.ts': ORDER_MODEL,
  'src/models/index.ts': `import 'reflect-metadata'
import { Sequelize } from 'sequelize-typescript'
import { installAsync } from 'sequelize-async'
import { Order } from './order.model'

export const sequelize = new Sequelize(process.env.DATABASE_URL as string, {
  logging: false,
  models: [Order],
})
export const tasks = installAsync(sequelize)
export { Order }
`,
  'src/enqueue.ts': `import { Order, sequelize } from './models'

async function main(): Promise<void> {
  for (const email of ['ada@example.com', 'bob@example.com']) {
    const order = await Order.create({ email })
    await order.async('sendConfirmationEmail', { args: ['Hello'] })
  }
  await sequelize.close()
}
void main()
`,
  'src/report.ts': `import { sequelize, tasks } from './models'

async function main(): Promise<void> {
  const rows = await tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
  console.log(JSON.stringify(rows.map((t) => ({ status: t.status, result: t.result }))))
  await sequelize.close()
}
void main()
`,
}

const NEST_BOOT = `import 'reflect-metadata'
import { NestFactory } from '@nestjs/core'
import { tasksOf } from 'sequelize-async/nest'
import { AppModule } from './app.module'
import { OrdersService } from './orders.service'
`

const NEST: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'nest-shop',
    private: true,
    scripts: { build: 'tsc -p tsconfig.build.json' },
    dependencies: {
      '@nestjs/common': '^11',
      '@nestjs/core': '^11',
      '@nestjs/sequelize': '^11',
      sequelize: '^6',
      'sequelize-typescript': '^2',
      'reflect-metadata': '*',
      rxjs: '^7',
      sqlite3: '*',
    },
    devDependencies: { typescript: '*', 'sequelize-cli': '^6' },
  }),
  'package-lock.json': '{"lockfileVersion": 3}\n',
  // As `nest new` writes them: outDir without rootDir, a build config that extends it.
  'tsconfig.json': JSON.stringify({ compilerOptions: { ...COMPILER, outDir: './dist' } }),
  'tsconfig.build.json': JSON.stringify({
    extends: './tsconfig.json',
    exclude: ['node_modules', 'test', 'dist', '**/*spec.ts'],
  }),
  'config/config.json': CLI_CONFIG,
  'migrations/20200101000000-create-orders.js': ORDERS_MIGRATION,
  'src/order.model.ts': ORDER_MODEL,
  'src/mail.service.ts': `import { Injectable } from '@nestjs/common'

@Injectable()
export class MailService {
  greeting(): string {
    return process.env.GREETING ?? 'Hello'
  }
}
`,
  'src/orders.service.ts': `import { Injectable, OnModuleInit } from '@nestjs/common'
import { InjectModel } from '@nestjs/sequelize'
import type { AsyncTasks } from 'sequelize-async'
import { InjectTasks } from 'sequelize-async/nest'
import { MailService } from './mail.service'
import { Order } from './order.model'

@Injectable()
export class OrdersService implements OnModuleInit {
  constructor(
    @InjectModel(Order) private readonly orders: typeof Order,
    @InjectTasks() private readonly tasks: AsyncTasks,
    private readonly mail: MailService,
  ) {}

  // The worker runs this provider's methods with its injected dependencies.
  onModuleInit(): void {
    this.tasks.register('OrdersService', this)
  }

  async place(email: string): Promise<Order> {
    const order = await this.orders.create({ email })
    // \`this\` has a polymorphic type; name the class so the method is checked.
    const self = this as OrdersService
    await this.tasks.enqueue(self, 'confirm', { args: [order.id] })
    return order
  }

  async confirm(orderId: number): Promise<string> {
    const order = await this.orders.findByPk(orderId, { rejectOnEmpty: true })
    return order.sendConfirmationEmail(this.mail.greeting())
  }
}
`,
  'src/app.module.ts': `import { Module } from '@nestjs/common'
import { SequelizeModule } from '@nestjs/sequelize'
import { SequelizeAsyncModule } from 'sequelize-async/nest'
import { MailService } from './mail.service'
import { Order } from './order.model'
import { OrdersService } from './orders.service'

@Module({
  imports: [
    SequelizeModule.forRoot({
      dialect: 'sqlite',
      storage: (process.env.DATABASE_URL ?? '').replace(/^sqlite:/, ''),
      models: [Order],
      logging: false,
    }),
    SequelizeModule.forFeature([Order]),
    SequelizeAsyncModule.forRootAsync({ useFactory: () => ({ maxAttempts: 2 }) }),
  ],
  providers: [MailService, OrdersService],
})
export class AppModule {}
`,
  'src/enqueue.ts': `${NEST_BOOT}
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false })
  const orders = app.get(OrdersService)
  for (const email of ['ada@example.com', 'bob@example.com']) await orders.place(email)
  await app.close()
}
void main()
`,
  'src/report.ts': `${NEST_BOOT}
async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false })
  const rows = await tasksOf(app).AsyncTask.findAll({ order: [['id', 'ASC']] })
  console.log(JSON.stringify(rows.map((t) => ({ status: t.status, result: t.result }))))
  void OrdersService
  await app.close()
}
void main()
`,
}

/** path → contents of a TypeScript host app's own files. */
export function tsHostAppFiles(kind: 'ts-dist' | 'nest'): Record<string, string> {
  return kind === 'nest' ? NEST : TS_DIST
}
