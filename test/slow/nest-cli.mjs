#!/usr/bin/env node
// sequelize-async in NestJS apps made by the tools' own generators (issue 14).
//
//   npm run test:nest-cli                  # both variants
//   npm run test:nest-cli -- --variant=tsc  # or --variant=webpack; --keep keeps the apps
//
// Not part of `npm test`: it downloads @nestjs/cli and the apps' packages
// from the npm registry. Needs PostgreSQL (PGHOST/PGPORT/PGUSER, default
// postgres@127.0.0.1:5432, trust); each app gets its own nestcli_* database,
// dropped at the end.
//
// For each variant: `npx @nestjs/cli@11 new`, then @nestjs/sequelize,
// sequelize, sequelize-typescript, pg and the packed sequelize-async; a
// model, a service that enqueues (a model method with order.async() and a
// provider method with tasks.enqueue()), a controller route that calls it;
// `npx create-async`, the next steps it prints (install, build, migrate) run
// as printed; the HTTP server gets a POST; `script/async start --uid=1` runs
// the tasks, whose results are read from the database with pg; `script/async
// stop --uid=1` and the daemon is gone.
//   tsc      `nest build` (tsc): the worker boots dist/app.module.js
//   webpack  `nest build --webpack` (the app's build script): dist/main.js is
//            the only file, and the worker runs it in worker mode
//            (startAsWorker(AppModule) in main.ts, loadBundledApp() in config/async.cjs)
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import pg from 'pg'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const argv = process.argv.slice(2)
const only = argv.find((arg) => arg.startsWith('--variant='))?.slice('--variant='.length)
const keep = argv.includes('--keep')
const VARIANTS = ['tsc', 'webpack'].filter((name) => !only || only === name)
if (VARIANTS.length === 0) {
  console.error(`unknown variant ${only}: use --variant=tsc or --variant=webpack`)
  process.exit(2)
}

const PG = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
}
const dbUrl = (database) =>
  `postgres://${encodeURIComponent(PG.user)}${PG.password ? `:${encodeURIComponent(PG.password)}` : ''}@${PG.host}:${PG.port}/${database}`

const rows = [] // { variant, step, seconds, ok }
const cleanups = []
const work = mkdtempSync(join(tmpdir(), 'nestcli-'))
// npm and npx of the apps must not inherit this repo's npm_* settings (npm run sets them).
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
)

async function step(variant, name, fn) {
  const started = performance.now()
  const row = { variant, step: name, seconds: 0, ok: false }
  rows.push(row)
  console.log(`[${variant}] ${name} …`)
  try {
    const value = await fn()
    row.ok = true
    return value
  } finally {
    row.seconds = (performance.now() - started) / 1000
  }
}

/** Runs a command to completion; throws with its output when it fails. */
function run(cwd, command, args, env = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}\n` +
        `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim(),
    )
  }
  return result.stdout
}

const write = (root, path, text) => {
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), text)
}

function expectThat(condition, message) {
  if (!condition) throw new Error(message)
}

async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs
  let last
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`)
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const alive = (pid) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function admin(sql) {
  const client = new pg.Client({ ...PG, database: 'postgres' })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

async function query(database, sql) {
  const client = new pg.Client({ ...PG, database })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

// --- the app's own files, as a Nest developer writes them ---------------------

const ORDER_MODEL = `import { Column, Model, Table } from 'sequelize-typescript';

@Table({ tableName: 'orders' })
export class Order extends Model {
  // No DataType: sequelize-typescript reads it from the metadata tsc emits.
  @Column
  declare email: string;

  sendConfirmationEmail(greeting: string): string {
    return \`\${greeting} \${this.email}, order \${this.id} is confirmed\`;
  }
}
`

const MAIL_SERVICE = `import { Injectable } from '@nestjs/common';

@Injectable()
export class MailService {
  greeting(): string {
    return process.env.GREETING ?? 'Hello';
  }
}
`

// Nest's tsconfig has "declaration": true: a method returning task fields
// (CreationOptional<number>) needs its return type written out.
const ORDERS_SERVICE = `import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/sequelize';
import type { AsyncTasks } from 'sequelize-async';
import { InjectTasks } from 'sequelize-async/nest';
import { MailService } from './mail.service';
import { Order } from './order.model';

export interface Placed {
  orderId: number;
  taskIds: number[];
}

@Injectable()
export class OrdersService implements OnModuleInit {
  constructor(
    @InjectModel(Order) private readonly orders: typeof Order,
    @InjectTasks() private readonly tasks: AsyncTasks,
    private readonly mail: MailService,
  ) {}

  // The worker runs this provider's methods with its injected dependencies.
  onModuleInit(): void {
    this.tasks.register('OrdersService', this);
  }

  async place(email: string): Promise<Placed> {
    const order = await this.orders.create({ email });
    const mailed = await order.async('sendConfirmationEmail', { args: ['Hello'] });
    const self = this as OrdersService;
    const confirmed = await this.tasks.enqueue(self, 'confirm', { args: [order.id] });
    return { orderId: order.id, taskIds: [mailed.id, confirmed.id] };
  }

  async confirm(orderId: number): Promise<string> {
    const order = await this.orders.findByPk(orderId, { rejectOnEmpty: true });
    return order.sendConfirmationEmail(this.mail.greeting());
  }
}
`

const ORDERS_CONTROLLER = `import { Body, Controller, Get, Post } from '@nestjs/common';
import { OrdersService, type Placed } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly ordersService: OrdersService) {}

  @Post()
  place(@Body('email') email: string): Promise<Placed> {
    return this.ordersService.place(email);
  }

  @Get('place')
  placeFromQuery(): Promise<Placed> {
    return this.ordersService.place('bob@example.com');
  }
}
`

const APP_MODULE = `import { Module } from '@nestjs/common';
import { SequelizeModule } from '@nestjs/sequelize';
import { SequelizeAsyncModule } from 'sequelize-async/nest';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import { MailService } from './orders/mail.service';
import { Order } from './orders/order.model';
import { OrdersController } from './orders/orders.controller';
import { OrdersService } from './orders/orders.service';

@Module({
  imports: [
    SequelizeModule.forRoot({
      dialect: 'postgres',
      uri: process.env.DATABASE_URL,
      models: [Order],
      logging: false,
    }),
    SequelizeModule.forFeature([Order]),
    SequelizeAsyncModule.forRootAsync({ useFactory: () => ({ maxAttempts: 2 }) }),
  ],
  controllers: [AppController, OrdersController],
  providers: [AppService, MailService, OrdersService],
})
export class AppModule {}
`

// The generated main.ts, plus the worker mode a bundle needs.
const BUNDLED_MAIN = `import { NestFactory } from '@nestjs/core';
import { startAsWorker } from 'sequelize-async/nest';
import { AppModule } from './app.module';

async function bootstrap() {
  if (await startAsWorker(AppModule)) return; // under script/async: no HTTP
  const app = await NestFactory.create(AppModule);
  await app.listen(process.env.PORT ?? 3000);
}
bootstrap();
`

const ORDERS_MIGRATION = readFileSync(
  new URL('../fixtures/create-orders-migration.cjs', import.meta.url),
  'utf8',
)

// --- the run -------------------------------------------------------------------

async function pack() {
  return step('-', 'npm pack (built repo)', () => {
    expectThat(existsSync(join(REPO, 'dist/nest.cjs')), 'dist/ is missing: run npm run build')
    const dir = join(work, 'pack')
    mkdirSync(dir)
    run(REPO, 'npm', ['pack', '--ignore-scripts', '--pack-destination', dir])
    const [file] = readdirSync(dir).filter((name) => name.endsWith('.tgz'))
    expectThat(file, 'npm pack wrote no tarball')
    return join(dir, file)
  })
}

async function variant(name, tarball) {
  const dir = join(work, name)
  mkdirSync(dir)
  const root = join(dir, 'app')
  const database = `nestcli_${name}_${randomBytes(4).toString('hex')}`
  const env = { DATABASE_URL: dbUrl(database), GREETING: 'Dear', NODE_ENV: 'development' }
  const processes = []
  cleanups.push(async () => {
    for (const child of processes) if (alive(child.pid)) process.kill(child.pid, 'SIGKILL')
    const pidFile = join(root, 'tmp/pids/async.1.pid')
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'))
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL')
    }
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch((error) =>
      console.error(`could not drop ${database}: ${error.message}`),
    )
  })

  await step(name, 'nest new (npx @nestjs/cli@11)', () => {
    run(dir, 'npx', [
      '--yes',
      '@nestjs/cli@11',
      'new',
      'app',
      '--package-manager',
      'npm',
      '--skip-git',
    ])
    expectThat(existsSync(join(root, 'src/app.module.ts')), 'nest new wrote no src/app.module.ts')
  })

  await step(name, 'npm install sequelize stack + tarball', () => {
    run(root, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '@nestjs/sequelize',
      'sequelize',
      'sequelize-typescript',
      'pg',
      tarball,
    ])
  })

  await step(name, 'write model, service, controller', () => {
    write(root, 'src/orders/order.model.ts', ORDER_MODEL)
    write(root, 'src/orders/mail.service.ts', MAIL_SERVICE)
    write(root, 'src/orders/orders.service.ts', ORDERS_SERVICE)
    write(root, 'src/orders/orders.controller.ts', ORDERS_CONTROLLER)
    write(root, 'src/app.module.ts', APP_MODULE)
    write(root, 'migrations/20200101000000-create-orders.cjs', ORDERS_MIGRATION)
    if (name === 'webpack') {
      write(root, 'src/main.ts', BUNDLED_MAIN)
      run(root, 'npm', ['pkg', 'set', 'scripts.build=nest build --webpack'])
    }
  })

  const steps = await step(name, 'npx create-async', () => {
    const out = run(root, 'npx', ['--no-install', 'create-async', '--yes'])
    const config = readFileSync(join(root, 'config/async.cjs'), 'utf8')
    if (name === 'webpack') {
      expectThat(
        config.includes("const BUNDLE = path.join(__dirname, '..', 'dist/main.js')"),
        `config/async.cjs does not run the bundle:\n${config}`,
      )
      expectThat(out.includes('The app is bundled (dist/main.js)'), `next steps:\n${out}`)
    } else {
      expectThat(
        config.includes("const APP_MODULE = path.join(__dirname, '..', 'dist/app.module.js')"),
        `config/async.cjs does not boot dist/app.module.js:\n${config}`,
      )
    }
    return out
  })

  // Next steps, run as printed: add sequelize-cli, build, migrate.
  const add = /add it first: (npm i -D sequelize-cli)\)/.exec(steps)?.[1]
  const build = /run (npm run build) before starting them/.exec(steps)?.[1]
  const migrate = /create the tasks table: +(?:npm run build && )?(.+)$/im.exec(steps)?.[1]
  expectThat(add && build && migrate, `unexpected next steps:\n${steps}`)
  expectThat(migrate.includes('--url "$DATABASE_URL"'), `migrate: ${migrate}`)

  await step(name, add, () => run(root, 'sh', ['-c', `${add} --no-audit --no-fund`]))
  const builder = name === 'webpack' ? 'nest build --webpack' : 'nest build'
  await step(name, `${build} (${builder})`, () => {
    run(root, 'sh', ['-c', build])
    const files = readdirSync(join(root, 'dist')).filter((file) => file.endsWith('.js'))
    if (name === 'webpack') expectThat(files.join() === 'main.js', `dist/ holds ${files}`)
    else expectThat(files.includes('app.module.js'), `dist/ holds ${files}`)
  })
  await step(name, 'createdb + migrate (as printed)', async () => {
    await admin(`CREATE DATABASE "${database}"`)
    const out = run(root, 'sh', ['-c', migrate], env)
    expectThat(/create-async-tasks: migrated/.test(out), `migrate:\n${out}`)
  })

  const port = await freePort()
  const placed = await step(name, 'HTTP server: POST /orders, GET /orders/place', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: root,
      env: { ...baseEnv, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    processes.push(child)
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const url = `http://127.0.0.1:${port}/orders`
    const posted = await waitFor('the HTTP server', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`)
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com' }),
      })
      if (response.status !== 201)
        throw new Error(`POST ${response.status}: ${await response.text()}`)
      return response.json()
    })
    const got = await fetch(`${url}/place`)
    const body = await got.text()
    expectThat(got.status === 200, `GET /orders/place: ${got.status} ${body}`)
    const second = JSON.parse(body)
    expectThat(posted.taskIds.length === 2 && second.taskIds.length === 2, 'two tasks per order')
    child.kill('SIGTERM')
    return [posted, second]
  })

  const pidFile = join(root, 'tmp/pids/async.1.pid')
  const pid = await step(name, 'script/async start --uid=1 → tasks succeeded', async () => {
    run(root, process.execPath, ['script/async', 'start', '--uid=1'], env)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expectThat(alive(pid), `the daemon (pid ${pid}) is not running`)
    const tasks = await waitFor('every task to succeed', 60_000, async () => {
      const tasks = await query(
        database,
        'SELECT id, object_type, action, status, result FROM async_tasks ORDER BY id',
      )
      return tasks.length === 4 && tasks.every((task) => task.status === 'succeeded') && tasks
    })
    const expected = [
      ['Order', 'sendConfirmationEmail', 'Hello ada@example.com, order 1 is confirmed'],
      ['OrdersService', 'confirm', 'Dear ada@example.com, order 1 is confirmed'],
      ['Order', 'sendConfirmationEmail', 'Hello bob@example.com, order 2 is confirmed'],
      ['OrdersService', 'confirm', 'Dear bob@example.com, order 2 is confirmed'],
    ]
    const ids = placed.flatMap((order) => order.taskIds)
    tasks.forEach((task, i) => {
      const [objectType, action, result] = expected[i]
      const got = [String(task.id), task.object_type, task.action, JSON.parse(task.result)]
      const want = [String(ids[i]), objectType, action, result]
      expectThat(JSON.stringify(got) === JSON.stringify(want), `task ${i}: ${got} ≠ ${want}`)
    })
    return pid
  })

  await step(name, 'script/async stop --uid=1 → daemon gone', async () => {
    run(root, process.execPath, ['script/async', 'stop', '--uid=1'], env)
    await waitFor('the daemon to exit', 10_000, () => !alive(pid))
    expectThat(!existsSync(pidFile), 'the pidfile is still there')
    const log = readFileSync(join(root, 'log/async.1.log'), 'utf8')
    expectThat(/SUCCESS \d+: OrdersService#confirm/.test(log), `worker log:\n${log}`)
    expectThat(!/Nest application successfully started/.test(log), `the worker listened:\n${log}`)
  })
}

let failed = null
try {
  const tarball = await pack()
  for (const name of VARIANTS) await variant(name, tarball)
} catch (error) {
  failed = error
} finally {
  for (const cleanup of cleanups) await cleanup()
  if (keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

const width = Math.max(...rows.map((row) => row.step.length))
console.log(`\n${'variant'.padEnd(8)} ${'step'.padEnd(width)}  ${'time'.padStart(7)}  result`)
for (const row of rows) {
  console.log(
    `${row.variant.padEnd(8)} ${row.step.padEnd(width)}  ${`${row.seconds.toFixed(1)}s`.padStart(7)}  ${row.ok ? 'ok' : 'FAILED'}`,
  )
}
const total = rows.reduce((sum, row) => sum + row.seconds, 0)
console.log(`${''.padEnd(8)} ${'total'.padEnd(width)}  ${`${total.toFixed(1)}s`.padStart(7)}`)
if (failed) {
  console.error(`\nFAILED: ${failed.stack ?? failed}`)
  process.exit(1)
}
console.log(`\nok: ${VARIANTS.join(', ')}`)
