import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** The host migration to write, if the package has steps the host lacks. */
export interface MigrationPlan {
  /** path relative to the app root */
  file: string
  steps: string[]
}

// Generated migrations list their steps in `const STEPS = ['0001-…', …]`,
// which is how a re-run after an upgrade knows what the host already has.
// Any quotes and line breaks are accepted, so reformatting the file is fine.
const STEPS_LIST = /^const STEPS = \[([^\]]*)\]/m
const QUOTED = /['"]([^'"]+)['"]/g

/** Step names already covered by generated migrations in `dir`. */
export function coveredSteps(root: string, dir: string): Set<string> {
  const covered = new Set<string>()
  const abs = join(root, dir)
  if (!existsSync(abs)) return covered
  for (const name of readdirSync(abs)) {
    if (!/\.(cjs|js|ts)$/.test(name)) continue
    const list = STEPS_LIST.exec(readFileSync(join(abs, name), 'utf8'))?.[1] ?? ''
    for (const [, step] of list.matchAll(QUOTED)) if (step) covered.add(step)
  }
  return covered
}

/**
 * The next migration: every package step the host's migrations do not cover
 * yet, in package order, or null when the host is up to date.
 */
export function planMigration(
  root: string,
  dir: string,
  packageSteps: readonly string[],
  now: Date,
  language: 'cjs' | 'ts' = 'cjs',
): MigrationPlan | null {
  const covered = coveredSteps(root, dir)
  const steps = packageSteps.filter((step) => !covered.has(step))
  if (steps.length === 0) return null
  // The first migration keeps the conventional name; later ones say what they add.
  const what = covered.size === 0 ? 'create-async-tasks' : `async-${steps.at(-1)}`
  // .cjs: sequelize-cli loads .js/.cjs/.ts but skips .mjs, and .cjs runs in
  // both CommonJS and "type": "module" hosts. .ts in the source folder of an
  // app whose sequelize-cli runs the build's migrations: tsc compiles it there.
  return { file: `${dir}/${migrationTimestamp(now)}-${what}.${language}`, steps }
}

/** sequelize-cli's YYYYMMDDHHmmss, in UTC as it uses. */
function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14)
}
