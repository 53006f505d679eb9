// create-async's view of a Nest app as `nest new` writes it (no sequelize-cli,
// no config/config.json, the build in tsconfig.json), and of a build script
// that asks for webpack on the command line. The apps made by the real
// generator run in the slow suite, `npm run test:nest-cli`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { detectHostLayout, webpackScript } from '../src/cli/create/host-layout.js'
import { nextSteps } from '../src/cli/create/next-steps.js'
import type { TemplateData } from '../src/cli/create/plan.js'

const dirs: string[] = []
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function nestApp(build: string, extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'async-nest-layout-'))
  dirs.push(root)
  const files: Record<string, string> = {
    'package.json': JSON.stringify({
      name: 'app',
      scripts: { build },
      dependencies: { '@nestjs/core': '^11', sequelize: '^6', 'sequelize-typescript': '^2' },
      devDependencies: { typescript: '^5' },
    }),
    'package-lock.json': '{}',
    'nest-cli.json': JSON.stringify({ compilerOptions: { deleteOutDir: true } }),
    'tsconfig.json': '{ "compilerOptions": { "module": "nodenext", "outDir": "./dist" } }',
    'tsconfig.build.json': '{ "extends": "./tsconfig.json", "exclude": ["dist"] }',
    'src/app.module.ts': 'SequelizeAsyncModule',
    ...extra,
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

const steps = (root: string) => {
  const data = { migrateCommand: 'npx sequelize-cli db:migrate', buildCommand: 'npm run build' }
  return nextSteps(detectHostLayout(root), { ...data, workers: 2 } as unknown as TemplateData)
}

describe('create-async in a Nest app as nest new writes it', () => {
  it('runs the bundle when the build script is nest build --webpack', () => {
    const layout = detectHostLayout(nestApp('nest build --webpack'))
    expect(layout.nestModule).toBe('dist/app.module.js')
    expect(layout.nestBundle).toBe('dist/main.js')
    expect(detectHostLayout(nestApp('nest build')).nestBundle).toBeNull()
  })

  it('tells how to migrate without a sequelize-cli config or dependency', () => {
    const text = steps(nestApp('nest build'))
    expect(text).toContain(
      'Create the tasks table:   npx sequelize-cli db:migrate --url "$DATABASE_URL"',
    )
    expect(text).toContain('add it first: npm i -D sequelize-cli')
    const configured = steps(
      nestApp('nest build', {
        'config/config.json': '{}',
        'package.json': JSON.stringify({
          dependencies: { '@nestjs/core': '^11', sequelize: '^6', 'sequelize-cli': '^6' },
          devDependencies: { typescript: '^5' },
        }),
      }),
    )
    expect(configured).toContain('Create the tasks table:   npx sequelize-cli db:migrate\n')
    expect(configured).not.toContain('--url')
    expect(configured).not.toContain('add it first')
  })
})

describe('webpackScript', () => {
  it('finds webpack asked for on the nest build command line', () => {
    expect(webpackScript('nest build --webpack')).toBe(true)
    expect(webpackScript('rimraf dist && nest build -b webpack')).toBe(true)
    expect(webpackScript('nest build --builder=webpack')).toBe(true)
    expect(webpackScript('nest build --builder webpack --watch')).toBe(true)
    expect(webpackScript('nest build')).toBe(false)
    expect(webpackScript('nest build -b swc')).toBe(false)
    expect(webpackScript('webpack --config webpack.config.js')).toBe(false)
    expect(webpackScript(undefined)).toBe(false)
  })
})
