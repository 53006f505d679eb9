/**
 * One installation per Sequelize instance, found again from that instance.
 * An app often installs async in one module while the worker's
 * config/async.cjs (or another module) reaches the same Sequelize instance on
 * its own: `installationOf(sequelize)` finds the installation, and a second
 * installAsync() that only adds classes joins the first instead of failing.
 */
import type { Sequelize } from 'sequelize'

import { AsyncTaskError } from './errors.js'
import type { AsyncTasks } from './install.js'

/** The part of an installation a second installAsync() call needs. */
export interface Installed<T> {
  tasks: T
  /** where the first installAsync() was called, e.g. `/app/models/index.js:31:12` */
  site: string
  /** the installation's tasks.register (a no-op for a class already registered under that name) */
  register(name: string, target: object): void
}

const installed = new WeakMap<object, Installed<unknown>>()

/**
 * The installation made by `installAsync()` on this Sequelize instance, or
 * undefined. Takes any value, so a loader can try each export of a module.
 */
export function installationOf(sequelize: unknown): AsyncTasks | undefined {
  if (typeof sequelize !== 'object' || sequelize === null) return undefined
  return (installed.get(sequelize) as Installed<AsyncTasks> | undefined)?.tasks
}

export function findInstallation<T>(sequelize: Sequelize): Installed<T> | undefined {
  return installed.get(sequelize) as Installed<T> | undefined
}

export function keepInstallation<T>(sequelize: Sequelize, installation: Installed<T>): void {
  installed.set(sequelize, installation)
}

/** The file:line:column of the code that called `fn`, for messages. */
export function callSite(fn: (...args: never[]) => unknown): string {
  const holder: { stack?: string } = {}
  Error.captureStackTrace(holder, fn)
  const frame = holder.stack?.split('\n')[1] ?? ''
  return /\(?((?:file:\/\/)?[^()\s]+:\d+:\d+)\)?\s*$/.exec(frame)?.[1] ?? 'an unknown place'
}

// Options a joining call may repeat: they add nothing to the first call's.
const JOINABLE = new Set(['classes', 'recurring'])

/**
 * A second installAsync() on the same instance: registers the classes it
 * adds and returns the first installation; refuses (saying where the first
 * call is) when it asks for settings only the first call decides.
 */
export function joinInstallation<T>(
  first: Installed<T>,
  options: { classes?: Record<string, object>; recurring?: unknown[] } & object,
): T {
  const settings = Object.entries(options)
    .filter(([key, value]) => value !== undefined && !JOINABLE.has(key))
    .map(([key]) => key)
  if ((options.recurring?.length ?? 0) > 0) settings.push('recurring')
  if (settings.length > 0) {
    throw new AsyncTaskError(
      `installAsync() was already called on this Sequelize instance, at ${first.site}; ` +
        `this second call also sets ${settings.join(', ')}, which only the first call decides. ` +
        `Move those options into the call at ${first.site} and use its result here: ` +
        `export it (config/async.cjs uses an export named \`tasks\`), or get it anywhere with ` +
        `installationOf(sequelize) from 'sequelize-async'.`,
    )
  }
  for (const [name, target] of Object.entries(options.classes ?? {})) first.register(name, target)
  return first.tasks
}
