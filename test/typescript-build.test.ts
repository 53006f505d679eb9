// create-async's reading of a TypeScript build: tsconfig.json with comments
// and trailing commas, Nest's tsconfig.build.json that extends it, and the
// mapping between the build's paths and their sources.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, describe, expect, it } from 'vitest'

import { compiledOf, readTypeScriptBuild, sourceOf } from '../src/cli/create/typescript-build.js'

const dirs: string[] = []
const app = (files: Record<string, string>) => {
  const root = mkdtempSync(join(tmpdir(), 'async-tsbuild-'))
  dirs.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })))

describe('readTypeScriptBuild', () => {
  it('reads rootDir and outDir through comments, trailing commas and "//" inside strings', () => {
    const root = app({
      'tsconfig.json': `{
  // the build
  "compilerOptions": { "outDir": "./build/", "rootDir": "./app", /* here */ "paths": { "@x/*": ["app/x//*"] }, },
}`,
    })
    expect(readTypeScriptBuild(root)).toEqual({
      rootDir: 'app',
      outDir: 'build',
      tsconfig: 'tsconfig.json',
    })
  })

  it("falls back to tsconfig.json's outDir when tsconfig.build.json only extends it, with src as rootDir", () => {
    const root = app({
      'tsconfig.json': '{ "compilerOptions": { "outDir": "./dist" } }',
      'tsconfig.build.json': '{ "extends": "./tsconfig.json", "exclude": ["test"] }',
      'src/main.ts': '',
    })
    expect(readTypeScriptBuild(root)).toEqual({
      rootDir: 'src',
      outDir: 'dist',
      tsconfig: 'tsconfig.build.json',
    })
  })

  it('finds no build when the app does not emit', () => {
    expect(
      readTypeScriptBuild(app({ 'tsconfig.json': '{ "compilerOptions": { "noEmit": true } }' })),
    ).toBeNull()
    expect(
      readTypeScriptBuild(
        app({ 'tsconfig.json': '{ "compilerOptions": { "outDir": "d", "noEmit": true } }' }),
      ),
    ).toBeNull()
    expect(readTypeScriptBuild(app({ 'package.json': '{}' }))).toBeNull()
  })
})

describe('sourceOf and compiledOf', () => {
  const build = { rootDir: 'src', outDir: 'dist', tsconfig: 'tsconfig.json' }

  it('map build paths to their sources and sources to their compiled files', () => {
    expect(sourceOf(build, 'dist/db/migrations')).toBe('src/db/migrations')
    expect(sourceOf(build, 'dist')).toBe('src')
    expect(sourceOf(build, 'migrations')).toBeNull()
    expect(sourceOf(build, 'distant/x')).toBeNull()
    expect(compiledOf(build, 'src/models/index.ts')).toBe('dist/models/index.js')
    expect(compiledOf(build, 'src/models/index.mts')).toBe('dist/models/index.mjs')
    expect(compiledOf(build, 'lib/models/index.ts')).toBeNull()
    const rootBuild = { rootDir: '.', outDir: 'out', tsconfig: 'tsconfig.json' }
    expect(compiledOf(rootBuild, 'models/index.ts')).toBe('out/models/index.js')
    expect(sourceOf(rootBuild, 'out/migrations')).toBe('migrations')
  })
})
