// The source files of the two host apps the e2e tests scaffold into: a
// CommonJS JavaScript app laid out as `sequelize-cli init` does, and an ESM
// TypeScript app with its paths in .sequelizerc. Both read DATABASE_URL, and
// both enqueue from a model hook, as the README shows.

import { ORDERS_MIGRATION, tsHostAppFiles } from './host-app-ts-files.js'

/** Which host app ('ts-dist' and 'nest': host-app-ts-files.ts). */
export type HostKind = 'cjs-js' | 'esm-ts' | 'ts-dist' | 'nest'

const CLI_CONFIG = JSON.stringify(
  Object.fromEntries(
    ['development', 'test', 'production'].map((env) => [env, { use_env_variable: 'DATABASE_URL' }]),
  ),
  null,
  2,
)

const CJS_MODELS = `'use strict'
const { Sequelize, DataTypes, Model } = require('sequelize')
const { installAsync } = require('sequelize-async')

if (process.env.BREAK_APP) throw new Error('cannot load the app: BREAK_APP is set')

const sequelize = new Sequelize(process.env.DATABASE_URL, { logging: false })

class Order extends Model {
  // Deliberately slow, like a mail server.
  async sendConfirmationEmail(to) {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.MAIL_MS || 200)))
    return 'mailed ' + to + ' about order ' + this.id
  }
}
Order.init({ email: { type: DataTypes.STRING, allowNull: false } }, { sequelize, tableName: 'orders' })
Order.afterCreate((order, { transaction }) =>
  order.async('sendConfirmationEmail', { args: [order.email], transaction }),
)

const db = { sequelize, Sequelize, Order }
db.tasks = installAsync(sequelize, { classes: {} })
module.exports = db
`

const CJS_ENQUEUE = `'use strict'
const db = require('./models')
;(async () => {
  const count = Number(process.argv[2] || 1)
  for (let i = 0; i < count; i += 1) await db.Order.create({ email: 'buyer' + i + '@example.com' })
  await db.sequelize.close()
})()
`

const CJS_REPORT = `'use strict'
const db = require('./models')
;(async () => {
  const rows = await db.tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
  console.log(JSON.stringify(rows.map((t) => ({ id: t.id, status: t.status, result: t.result }))))
  await db.sequelize.close()
})()
`

const TS_MODELS = `import { DataTypes, Model, Sequelize } from 'sequelize'
import { installAsync } from 'sequelize-async'

if (process.env.BREAK_APP) throw new Error('cannot load the app: BREAK_APP is set')

export const sequelize = new Sequelize(process.env.DATABASE_URL as string, { logging: false })

export class Order extends Model {
  declare id: number
  declare email: string

  // Deliberately slow, like a mail server.
  async sendConfirmationEmail(to: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.MAIL_MS || 200)))
    return \`mailed \${to} about order \${this.id}\`
  }
}
Order.init({ email: { type: DataTypes.STRING, allowNull: false } }, { sequelize, tableName: 'orders' })

export const tasks = installAsync(sequelize, { classes: {} })

Order.afterCreate(async (order, { transaction }) => {
  await order.async('sendConfirmationEmail', { args: [order.email], transaction })
})
`

const TS_ENQUEUE = `import { Order, sequelize } from './src/models/index.ts'
const count = Number(process.argv[2] || 1)
for (let i = 0; i < count; i += 1) await Order.create({ email: \`buyer\${i}@example.com\` })
await sequelize.close()
`

const TS_REPORT = `import { sequelize, tasks } from './src/models/index.ts'
const rows = await tasks.AsyncTask.findAll({ order: [['id', 'ASC']] })
console.log(JSON.stringify(rows.map((t) => ({ id: t.id, status: t.status, result: t.result }))))
await sequelize.close()
`

const SEQUELIZERC = `const path = require('path')
module.exports = {
  config: path.resolve('config', 'database.json'),
  'models-path': path.resolve('src', 'models'),
  'migrations-path': path.resolve('src', 'db', 'migrations'),
  'seeders-path': path.resolve('src', 'db', 'seeders'),
}
`

const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      allowImportingTsExtensions: true,
      noEmit: true,
    },
  },
  null,
  2,
)

/** path → contents of the app's own files (before create-async runs). */
export function hostAppFiles(kind: HostKind): Record<string, string> {
  if (kind === 'ts-dist' || kind === 'nest') return tsHostAppFiles(kind)
  const deps = { sequelize: '^6', sqlite3: '*', pg: '*', mysql2: '*', 'sequelize-cli': '^6' }
  if (kind === 'cjs-js') {
    return {
      'package.json': JSON.stringify({ name: 'cjs-shop', private: true, dependencies: deps }),
      'config/config.json': CLI_CONFIG,
      'migrations/20200101000000-create-orders.js': ORDERS_MIGRATION,
      'models/index.js': CJS_MODELS,
      'enqueue.js': CJS_ENQUEUE,
      'report.js': CJS_REPORT,
    }
  }
  return {
    'package.json': JSON.stringify({
      name: '@acme/esm-shop',
      private: true,
      type: 'module',
      dependencies: deps,
      devDependencies: { typescript: '*', tsx: '*' },
    }),
    'tsconfig.json': TSCONFIG,
    '.sequelizerc': SEQUELIZERC,
    'config/database.json': CLI_CONFIG,
    'src/db/migrations/20200101000000-create-orders.cjs': ORDERS_MIGRATION,
    'src/models/index.ts': TS_MODELS,
    'enqueue.ts': TS_ENQUEUE,
    'report.ts': TS_REPORT,
  }
}
