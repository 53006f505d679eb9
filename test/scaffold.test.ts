// create-async in a fresh CommonJS host app: what it writes where, --dry-run,
// --force, re-runs, and the generated migration, PM2, systemd and deploy
// files loaded and checked (detection of other layouts: scaffold-layout).
import { statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'

import { beforeAll, describe, expect, it } from 'vitest'

import { type HostApp } from './helpers/host-app.js'
import { createAsync, migrationsIn, read, useScaffoldApps } from './helpers/scaffold-apps.js'
import { fakeShipit } from './helpers/host-app-shipit.js'

const { newApp } = useScaffoldApps()

describe('create-async in a CommonJS JavaScript app', () => {
  let app: HostApp
  beforeAll(() => {
    app = newApp('cjs-js')
  })

  it('lists every file under --dry-run and writes none', () => {
    const result = createAsync(app, '--dry-run')
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/would create\s+migrations\/\d{14}-create-async-tasks\.cjs/)
    expect(result.stdout).toMatch(/would create\s+script\/async/)
    expect(result.stdout).toMatch(/Dry run: nothing was written/)
    expect(migrationsIn(app, 'migrations')).toEqual([])
    expect(() => statSync(join(app.root, 'script'))).toThrow()
  })

  it('writes the migration, an executable script/async, configs, deploy snippets and directories', () => {
    const result = app.run('npx', ['create-async', '--yes', '--workers=3', '--max-memory=512M'])
    expect(result.status, result.stderr).toBe(0)
    for (const path of [
      'script/async',
      'config/async.cjs',
      'config/async.pm2.config.cjs',
      'config/systemd/async-worker@.service',
      'config/deploy/shipit-async.cjs',
      'config/deploy/pm2-deploy.cjs',
      'log/.gitignore',
      'tmp/pids/.gitignore',
    ]) {
      expect(result.stdout).toContain(`create    ${path}`)
    }
    expect(result.stdout).toMatch(/Next steps:[\s\S]*npx sequelize-cli db:migrate/)
    expect(statSync(join(app.root, 'script/async')).mode & 0o111).not.toBe(0)
    expect(read(app, 'script/async')).toMatch(/^#!\/usr\/bin\/env node\n'use strict'/)
    expect(migrationsIn(app, 'migrations')).toHaveLength(1)
    expect(read(app, 'config/async.cjs')).toContain('require(MODELS)')
  })

  it('keeps existing files on a re-run, adds no second migration, and overwrites with --force', () => {
    writeFileSync(join(app.root, 'config/async.cjs'), '// mine\n')
    const again = createAsync(app)
    expect(again.status).toBe(0)
    expect(again.stdout).toMatch(/skip\s+config\/async\.cjs \(exists; --force overwrites\)/)
    expect(again.stdout).toMatch(/up to date migrations/)
    expect(read(app, 'config/async.cjs')).toBe('// mine\n')
    expect(migrationsIn(app, 'migrations')).toHaveLength(1)

    const forced = createAsync(app, '--force', '--workers=3', '--max-memory=512M')
    expect(forced.stdout).toMatch(/overwrite config\/async\.cjs/)
    expect(read(app, 'config/async.cjs')).toContain('async load()')
    expect(migrationsIn(app, 'migrations')).toHaveLength(1)
  })

  it('creates the tasks table with db:migrate and drops it with db:migrate:undo', () => {
    const tables = () =>
      app
        .node(['-e', SHOW_TABLES])
        .trim()
        .split(',')
        .filter((name) => name.startsWith('async'))
    expect(app.run('npx', ['sequelize-cli', 'db:migrate']).status).toBe(0)
    expect(tables()).toContain('async_tasks')
    const undone = app.run('npx', ['sequelize-cli', 'db:migrate:undo'])
    expect(undone.status, undone.stderr).toBe(0)
    expect(undone.stdout).toMatch(/create-async-tasks: reverted/)
    expect(tables()).not.toContain('async_tasks')
  })

  it('writes a PM2 file that runs N workers restarted on crash and above the memory limit', () => {
    const load = (env: Record<string, string>) =>
      JSON.parse(
        app.node(
          ['-e', `console.log(JSON.stringify(require('./config/async.pm2.config.cjs')))`],
          env,
        ),
      ) as { apps: Record<string, unknown>[] }
    const { apps: workers } = load({})
    expect(workers).toHaveLength(3)
    expect(workers[0]).toMatchObject({
      name: 'cjs-shop-async-1',
      interpreter: 'node',
      autorestart: true,
      max_memory_restart: '512M',
      cwd: app.root,
      script: join(app.root, 'script/async'),
    })
    expect(load({ ASYNC_WORKERS: '5' }).apps).toHaveLength(5)
  })

  it('writes a systemd unit template for numbered workers', () => {
    const unit = read(app, 'config/systemd/async-worker@.service')
    expect(unit).toContain('Description=cjs-shop async worker %i')
    expect(unit).toContain('WorkingDirectory=/var/www/cjs-shop/current')
    expect(unit).toContain('ExecStart=/usr/bin/env node "/var/www/cjs-shop/current/script/async"')
    expect(unit).toContain('MemoryMax=512M')
    expect(unit).toContain('Restart=always')
    expect(unit).toContain('systemctl enable --now async-worker@{1..3}')
  })

  it('writes shipit tasks whose start, stop and restart issue distinct commands, with and without PM2', () => {
    const issued = (monitor: string) => {
      const shipit = fakeShipit()
      const install = createRequire(join(app.root, 'x.js'))('./config/deploy/shipit-async.cjs')
      install(shipit, { monitor })
      return shipit
    }
    const plain = issued('none')
    expect(plain.run('async:start')).toEqual([
      'cd /srv/shop/current && NODE_ENV=production node script/async start',
    ])
    expect(plain.run('async:stop')).toEqual([
      'cd /srv/shop/current && NODE_ENV=production node script/async stop',
    ])
    expect(plain.run('async:restart')).toEqual([
      'cd /srv/shop/current && NODE_ENV=production node script/async restart',
    ])
    expect(plain.events).toEqual({ published: 'async:restart' })

    const pm2 = issued('pm2')
    expect(pm2.run('async:start')[0]).toMatch(
      /pm2 start config\/async\.pm2\.config\.cjs --env production$/,
    )
    expect(pm2.run('async:stop')[0]).toMatch(
      /pm2 stop config\/async\.pm2\.config\.cjs && pm2 delete/,
    )
    expect(pm2.run('async:restart')[0]).toMatch(
      /pm2 startOrRestart config\/async\.pm2\.config\.cjs/,
    )
  })

  it('writes PM2 deploy hooks that migrate and restart the workers, with and without PM2', () => {
    const deploy = createRequire(join(app.root, 'x.js'))('./config/deploy/pm2-deploy.cjs')
    expect(deploy.production['post-deploy']).toMatch(
      /npm ci && NODE_ENV=production npx sequelize-cli db:migrate && NODE_ENV=production node script\/async restart$/,
    )
    expect(deploy['production-pm2']['post-deploy']).toMatch(
      /db:migrate && pm2 startOrRestart config\/async\.pm2\.config\.cjs --env production --update-env$/,
    )
    expect(deploy.production.path).toBe('/var/www/cjs-shop')
  })
})

const SHOW_TABLES = `
const { Sequelize } = require('sequelize')
const s = new Sequelize(process.env.DATABASE_URL, { logging: false })
s.getQueryInterface().showAllTables().then(async (t) => { console.log(t.join(',')); await s.close() })
`
