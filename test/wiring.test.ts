// How a worker finds the app's installation: an app that installs async
// under another export name than `tasks`, or in a module its models entry
// loads, gets a worker that runs its tasks; a second installAsync() that only
// adds classes joins the first, and one that changes settings is told where
// the first call is and what to do instead.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { Model, Sequelize } from 'sequelize'
import { afterAll, describe, expect, it } from 'vitest'

import { installAsync, installationOf } from '../src/index.js'
import { type HostApp } from './helpers/host-app.js'
import { createAsync, read, useScaffoldApps } from './helpers/scaffold-apps.js'

describe('installAsync() twice on one Sequelize instance', () => {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })
  class Order extends Model {}
  Order.init({}, { sequelize })
  afterAll(() => sequelize.close())
  const Newsletter = { deliverAll: () => 'sent' }
  const first = installAsync(sequelize, { maxAttempts: 3 }) // the first call: this line

  it('is found again from the instance, and from nothing else', () => {
    expect(installationOf(sequelize)).toBe(first)
    expect(
      installationOf(new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false })),
    ).toBeUndefined()
    expect(installationOf(undefined)).toBeUndefined()
    expect(installationOf('sequelize')).toBeUndefined()
  })

  it('joins the first installation when the second call only adds classes', async () => {
    const second = installAsync(sequelize, { classes: { Newsletter }, recurring: [] })
    expect(second.AsyncTask).toBe(first.AsyncTask)
    expect(second.classes.Newsletter).toBe(Newsletter)
    await first.migrate()
    const task = await second.classes.Newsletter.async('deliverAll')
    expect(task.objectType).toBe('Newsletter')
    expect(await first.createWorker().workOff()).toMatchObject({ succeeded: 1, failed: 0 })
  })

  it('refuses other settings, naming the first call and what to use instead', () => {
    let message = ''
    try {
      installAsync(sequelize, { maxAttempts: 5, classes: { Newsletter } })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(
      /^installAsync\(\) was already called on this Sequelize instance, at \S*wiring\.test\.ts:22:\d+; this second call also sets maxAttempts, which only the first call decides\./,
    )
    expect(message).toContain('installationOf(sequelize)')
    expect(message).toContain('an export named `tasks`')
  })
})

// The models entry of the cjs-js host app installs async as `db.tasks`; these
// rewrite that line the ways newcomers do.
const INSTALL_LINE = 'db.tasks = installAsync(sequelize, { classes: {} })'

const REPORT = `'use strict'
const db = require('./models')
const { installationOf } = require('sequelize-async')
;(async () => {
  const rows = await installationOf(db.sequelize).AsyncTask.findAll({ order: [['id', 'ASC']] })
  console.log(JSON.stringify(rows.map((t) => ({ status: t.status, result: t.result }))))
  await db.sequelize.close()
})()
`

describe('a generated worker in an app that installs async its own way', () => {
  const { newApp } = useScaffoldApps()

  /** Scaffolds, migrates, enqueues two orders, runs `script/async work-off`, reports. */
  const runWorker = (app: HostApp) => {
    writeFileSync(join(app.root, 'report.js'), REPORT)
    const created = createAsync(app)
    expect(created.status, created.stderr).toBe(0)
    app.node(['node_modules/.bin/sequelize-cli', 'db:migrate'])
    app.node(['enqueue.js', '2'], { MAIL_MS: '1' })
    const worked = app.run(process.execPath, ['script/async', 'work-off'], { MAIL_MS: '1' })
    expect(worked.stderr).not.toContain('already called')
    expect(worked.status, worked.stdout + worked.stderr).toBe(0)
    return JSON.parse(app.node(['report.js'])) as { status: string; result: unknown }[]
  }

  const rewrite = (app: HostApp, line: string) =>
    writeFileSync(
      join(app.root, 'models/index.js'),
      read(app, 'models/index.js').replace(INSTALL_LINE, line),
    )

  it('runs the tasks when the models entry exports the installation as `jobs`', () => {
    const app = newApp('cjs-js')
    rewrite(app, 'db.jobs = installAsync(sequelize, { maxAttempts: 2 })')
    expect(runWorker(app)).toEqual([
      { status: 'succeeded', result: 'mailed buyer0@example.com about order 1' },
      { status: 'succeeded', result: 'mailed buyer1@example.com about order 2' },
    ])
  })

  it('runs the tasks when a module the models entry loads installs async and exports nothing', () => {
    const app = newApp('cjs-js')
    writeFileSync(
      join(app.root, 'models/async-setup.js'),
      `'use strict'\nconst { installAsync } = require('sequelize-async')\n` +
        `module.exports = (sequelize) => { installAsync(sequelize, { maxAttempts: 2 }) }\n`,
    )
    rewrite(app, "require('./async-setup.js')(sequelize)")
    expect(runWorker(app).map((task) => task.status)).toEqual(['succeeded', 'succeeded'])
  })

  it('runs the tasks with a config/async.cjs of an earlier version, which installs again', () => {
    const app = newApp('cjs-js')
    rewrite(app, 'db.jobs = installAsync(sequelize, { classes: {} })')
    expect(createAsync(app).status).toBe(0)
    // What create-async wrote before installationOf(): install on models.sequelize unless `tasks`.
    const config = read(app, 'config/async.cjs').replace(
      /const exported = [\s\S]*?\n {4}if \(!models\.sequelize\)/,
      'if (!models.sequelize)',
    )
    expect(config).not.toContain('installationOf(value)')
    writeFileSync(join(app.root, 'config/async.cjs'), config)
    expect(runWorker(app).map((task) => task.status)).toEqual(['succeeded', 'succeeded'])
  })

  it('names the class to register when a module the worker never loads installed async with it', () => {
    const app = newApp('cjs-js')
    rewrite(app, '// async is installed in newsletter.js, which the models entry does not load')
    writeFileSync(
      join(app.root, 'newsletter.js'),
      `'use strict'
const db = require('./models')
const { installAsync } = require('sequelize-async')
const Newsletter = { deliverAll: () => 'sent' }
const tasks = installAsync(db.sequelize, { classes: { Newsletter } })
tasks.classes.Newsletter.async('deliverAll').then(() => db.sequelize.close())
`,
    )
    expect(createAsync(app).status).toBe(0)
    app.node(['node_modules/.bin/sequelize-cli', 'db:migrate'])
    app.node(['newsletter.js'])
    const report = REPORT.replace('t.result', 't.error').replace(
      'installationOf(db.sequelize)',
      "require('sequelize-async').installAsync(db.sequelize)",
    )
    writeFileSync(join(app.root, 'report.js'), report)
    const worked = app.run(process.execPath, ['script/async', 'work-off'])
    expect(worked.status, worked.stdout + worked.stderr).toBe(0)
    const [task] = JSON.parse(app.node(['report.js'])) as { status: string; result: string }[]
    expect(task?.status).toBe('failed')
    expect(task?.result).toContain(
      'Register it with installAsync(sequelize, { classes: { Newsletter } }) or tasks.register() in the worker',
    )
  })

  it('says which file to change when the models entry exports no Sequelize instance', () => {
    const app = newApp('cjs-js')
    writeFileSync(
      join(app.root, 'models/index.js'),
      read(app, 'models/index.js').replace(
        'module.exports = db',
        'module.exports = { Order: db.Order.name }',
      ),
    )
    expect(createAsync(app).status).toBe(0)
    const worked = app.run(process.execPath, ['script/async', 'work-off'])
    expect(worked.status).not.toBe(0)
    expect(worked.stderr).toContain(`${join(app.root, 'models/index.js')} exports no \`sequelize\``)
    expect(worked.stderr).toContain(`set MODELS in ${join(app.root, 'config/async.cjs')}`)
  })
})
