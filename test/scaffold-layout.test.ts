// create-async's layout detection: .sequelizerc and TypeScript/ESM hosts,
// dotenv and pnpm apps, refusal outside a Sequelize app, and the migration
// plan of a re-run after an upgrade.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { planMigration } from '../src/cli/create/migration-plan.js'
import { createAsync, migrationsIn, read, useScaffoldApps } from './helpers/scaffold-apps.js'

const { newApp, apps } = useScaffoldApps()

describe('create-async in an ESM TypeScript app with a .sequelizerc', () => {
  it('follows .sequelizerc, loads TypeScript models with tsx and keeps script/async CommonJS', () => {
    const app = newApp('esm-ts')
    const result = createAsync(app)
    expect(result.status, result.stderr).toBe(0)
    expect(migrationsIn(app, 'src/db/migrations')).toHaveLength(1)
    expect(JSON.parse(read(app, 'script/package.json'))).toMatchObject({ type: 'commonjs' })
    const config = read(app, 'config/async.cjs')
    expect(config).toContain("const MODELS = path.join(__dirname, '..', 'src/models/index.ts')")
    expect(config).toContain("(await import('tsx/esm/api')).register()")
    expect(config).toContain("await import('sequelize-async')")
    expect(result.stdout).toContain('src/models/index.ts already calls installAsync')
    expect(read(app, 'config/async.pm2.config.cjs')).toContain("const name = 'esm-shop'")
    const help = app.run(process.execPath, ['script/async', '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/Usage: script\/async/)
  })
})

describe('create-async outside a Sequelize app', () => {
  it('fails with a clear message and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'async-not-sequelize-'))
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'plain', dependencies: {} }))
      const app = apps[0] ?? newApp('cjs-js') // its create-async bin, run elsewhere
      const bin = join(app.root, 'node_modules/.bin/create-async')
      const outside = app.run('sh', ['-c', `cd ${dir} && ${process.execPath} ${bin} --yes`])
      expect(outside.status).toBe(1)
      expect(outside.stderr).toMatch(
        /is not a Sequelize app: its package\.json does not depend on "sequelize"/,
      )
      expect(readdirSync(dir)).toEqual(['package.json'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('create-async in an app with dotenv and pnpm', () => {
  it('loads .env in config/async.cjs and prints pnpm commands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'async-pnpm-'))
    try {
      const deps = { sequelize: '^6', dotenv: '^16' }
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', dependencies: deps }))
      writeFileSync(join(dir, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n")
      const app = apps[0] ?? newApp('cjs-js') // its create-async bin, run elsewhere
      const bin = join(app.root, 'node_modules/.bin/create-async')
      const result = app.run('sh', ['-c', `cd ${dir} && ${process.execPath} ${bin} --yes`])
      expect(result.status, result.stderr).toBe(0)
      expect(result.stdout).toContain(
        'Create the tasks table:   pnpm exec sequelize-cli db:migrate',
      )
      expect(result.stdout).toContain('db.tasks = installAsync(sequelize, { classes:')
      const config = readFileSync(join(dir, 'config/async.cjs'), 'utf8')
      expect(config).toContain(
        "require('dotenv').config({ path: path.join(__dirname, '..', '.env') })",
      )
      const deploy = readFileSync(join(dir, 'config/deploy/pm2-deploy.cjs'), 'utf8')
      expect(deploy).toContain("const install = 'pnpm install --frozen-lockfile'")
      expect(deploy).toContain("const migrate = 'pnpm exec sequelize-cli db:migrate'")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('planMigration', () => {
  it('adds only the steps a re-run after an upgrade finds missing', () => {
    const root = mkdtempSync(join(tmpdir(), 'async-plan-'))
    try {
      mkdirSync(join(root, 'migrations'))
      writeFileSync(
        join(root, 'migrations/20260101000000-create-async-tasks.cjs'),
        'const STEPS = ["0001-create-async-tasks"]\n',
      )
      const now = new Date('2026-11-27T20:11:05Z')
      const plan = planMigration(
        root,
        'migrations',
        ['0001-create-async-tasks', '0002-add-cron'],
        now,
      )
      expect(plan).toEqual({
        file: 'migrations/20261127201105-async-0002-add-cron.cjs',
        steps: ['0002-add-cron'],
      })
      expect(planMigration(root, 'migrations', ['0001-create-async-tasks'], now)).toBeNull()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
