/**
 * The packed package works in another app: `npm pack`, installed into a
 * fresh directory, used from CommonJS, from ESM, and type-checked from
 * TypeScript (typos in method names and wrong argument types fail to compile).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
let app: string

const MODEL = `
class Order extends Model {
  async sendConfirmationEmail(to) { await new Promise(r => setTimeout(r, 20)); return 'mailed ' + to + ' for ' + this.id }
}
Order.init({ total: DataTypes.INTEGER }, { sequelize, modelName: 'Order' })
const tasks = installAsync(sequelize, { logger: { info() {}, error: console.error } })
await tasks.migrate()
await sequelize.sync()
const order = await Order.create({ total: 3 })
const task = await order.async('sendConfirmationEmail', { args: ['ann@example.com'] })
await tasks.createWorker().workOff()
await task.reload()
console.log(JSON.stringify({ status: task.status, result: task.result }))
await sequelize.close()
`

function run(file: string): unknown {
  const out = execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

describe('the packed package in a fresh app', () => {
  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'sa-pkg-'))
    const packDir = join(app, 'pack')
    mkdirSync(packDir)
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: root,
      stdio: 'ignore',
    })
    const tarball = join(
      packDir,
      readdirSync(packDir).find((f) => f.endsWith('.tgz'))!,
    )
    const target = join(app, 'node_modules', 'sequelize-async')
    mkdirSync(target, { recursive: true })
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
    // The host's own dependencies: reuse this repo's installed copies (sqlite3
    // compiles for a minute; installing it per test run would dominate CI).
    for (const dep of ['sequelize', 'sqlite3', 'umzug', 'typescript', '@types', 'pg', 'mysql2']) {
      symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep))
    }
    // Everything else the package needs must resolve from its own manifest.
    const hoisted = join(target, 'node_modules')
    mkdirSync(hoisted)
    for (const dep of readdirSync(join(root, 'node_modules'))) {
      if (dep.startsWith('.') || ['sequelize', 'sqlite3'].includes(dep)) continue
      try {
        symlinkSync(join(root, 'node_modules', dep), join(hoisted, dep))
      } catch {
        /* already linked */
      }
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'host', private: true }))
  }, 120_000)
  afterAll(() => rmSync(app, { recursive: true, force: true }))

  it('ships only built files', () => {
    const files = readdirSync(join(app, 'node_modules', 'sequelize-async', 'dist'))
    expect(files).toEqual(
      expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']),
    )
    expect(() => readdirSync(join(app, 'node_modules', 'sequelize-async', 'src'))).toThrow()
  })

  it('runs a task from CommonJS', () => {
    writeFileSync(
      join(app, 'cjs.cjs'),
      `const { Sequelize, DataTypes, Model } = require('sequelize')
const { installAsync } = require('sequelize-async')
const sequelize = new Sequelize({ dialect: 'sqlite', storage: 'cjs.sqlite', logging: false })
;(async () => {${MODEL}})()`,
    )
    expect(run('cjs.cjs')).toEqual({ status: 'succeeded', result: 'mailed ann@example.com for 1' })
  })

  it('runs a task from ESM', () => {
    writeFileSync(
      join(app, 'esm.mjs'),
      `import { Sequelize, DataTypes, Model } from 'sequelize'
import { installAsync } from 'sequelize-async'
const sequelize = new Sequelize({ dialect: 'sqlite', storage: 'esm.sqlite', logging: false })
${MODEL}`,
    )
    expect(run('esm.mjs')).toEqual({ status: 'succeeded', result: 'mailed ann@example.com for 1' })
  })

  it('type-checks method names and arguments in TypeScript', () => {
    writeFileSync(
      join(app, 'typed.ts'),
      `import { Sequelize, DataTypes, Model } from 'sequelize'
import { installAsync, type AsyncTask } from 'sequelize-async'
const sequelize = new Sequelize('sqlite::memory:')
class Order extends Model {
  declare id: number
  chargeCreditCard(euro: number, cents: number): number { return euro * 100 + cents }
  sendConfirmationEmail(): void {}
  static recalculateTotals(): void {}
}
Order.init({ total: DataTypes.INTEGER }, { sequelize })
const Newsletter = { deliverAll(subject: string): string { return subject } }
const tasks = installAsync(sequelize, { classes: { Newsletter } })
export async function ok(order: Order): Promise<AsyncTask[]> {
  return [
    await order.async('sendConfirmationEmail'),
    await order.async('chargeCreditCard', { args: [29, 90], priority: 12 }),
    await order.schedule(new Date(), 'sendConfirmationEmail'),
    await Order.async('recalculateTotals'),
    await tasks.classes.Newsletter.async('deliverAll', { args: ['hi'] }),
  ]
}
export async function wrong(order: Order): Promise<void> {
  await order.async('typo') // error 1: not a method
  await order.async('chargeCreditCard', { args: ['29', 90] }) // error 2: wrong type
  await order.async('chargeCreditCard') // error 3: args required
  await order.async('save') // error 4: inherited from Model
  await Order.async('findAll') // error 5: inherited static
  await tasks.classes.Newsletter.async('deliverAll', { args: [1] }) // error 6
  await Order.asyncEach([order], 'typo') // error 7: not a method
  await order.asyncTasks({ status: 'done' }) // error 8: not a status
}
export async function okBulk(order: Order): Promise<AsyncTask[]> {
  return [
    ...(await Order.asyncEach([order], 'chargeCreditCard', { args: [29, 90] })),
    ...(await tasks.enqueueMany([{ target: order, action: 'sendConfirmationEmail' }])),
    ...(await order.asyncTasks({ status: ['pending', 'failed'], limit: 5 })),
  ]
}
`,
    )
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          noEmit: true,
          skipLibCheck: true,
        },
        files: ['typed.ts'],
      }),
    )
    let output = ''
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], {
        encoding: 'utf8',
      })
    } catch (err) {
      output = (err as { stdout: string }).stdout
    }
    const errorLines = output
      .split('\n')
      .filter((l) => l.includes('error TS'))
      .map((l) => Number(/typed\.ts\((\d+),/.exec(l)?.[1]))
    // Exactly the eight wrong calls, and nothing in ok() or okBulk().
    expect(errorLines, output).toEqual([23, 24, 25, 26, 27, 28, 29, 30])
    expect(output).toMatch(
      /typed\.ts\(23,\d+\): error TS2345: Argument of type '"typo"' is not assignable/,
    )
  })
})
