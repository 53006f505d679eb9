/**
 * What the create-async suites share: one packed tarball per file, fresh host
 * apps made from it (removed at the end), and small readers of what the
 * generator wrote.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { createHostApp, packPackage, removePack, type HostApp } from './host-app.js'
import type { HostKind } from './host-app-files.js'

export function useScaffoldApps() {
  let tarball: string
  const apps: HostApp[] = []
  beforeAll(() => {
    tarball = packPackage()
  })
  afterAll(() => {
    apps.forEach((app) => app.remove())
    removePack(tarball)
  })
  const newApp = (kind: HostKind): HostApp => {
    const app = createHostApp(kind, tarball)
    apps.push(app)
    return app
  }
  /** `apps`: every app made so far, oldest first. */
  return { newApp, apps: apps as readonly HostApp[] }
}

/** Runs the generator non-interactively with extra flags. */
export const createAsync = (app: HostApp, ...flags: string[]) =>
  app.run(process.execPath, ['node_modules/.bin/create-async', '--yes', ...flags])

export const read = (app: HostApp, path: string) => readFileSync(join(app.root, path), 'utf8')

/** The async migrations in one of the app's migration directories. */
export const migrationsIn = (app: HostApp, dir: string) =>
  readdirSync(join(app.root, dir)).filter((name) => name.includes('async'))
