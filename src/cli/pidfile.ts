import {
  closeSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'

/** What a pidfile tells us about one worker uid. */
export type PidState =
  | { kind: 'absent' }
  | { kind: 'starting' }
  | { kind: 'running'; pid: number }
  | { kind: 'stale'; pid: number | null }

// A `start` that is still spawning leaves an empty pidfile; after this long it
// can only be the leftover of a crashed `start`.
const STARTING_GRACE_MS = 60_000

/** Where the pidfile of worker `uid` lives. */
export function pidfilePath(pidDir: string, uid: number): string {
  return join(pidDir, `async.${uid}.pid`)
}

/**
 * True when `pid` is a live process. A zombie counts as dead: in containers
 * whose PID 1 does not reap orphans, a killed daemon stays a zombie forever
 * and `kill(pid, 0)` keeps succeeding.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (macOS): trust kill(0)
  }
}

/**
 * True when `pid` looks like one of our workers, so a pid recycled by an
 * unrelated process after a crash is not mistaken for a running worker.
 */
function isOurWorker(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    // The daemon's title (see daemons.ts), or daemonize2's wrapper before it is set.
    return cmdline.startsWith('sequelize-async.') || cmdline.includes('daemonize2/lib/wrapper.js')
  } catch {
    return true // no /proc: cannot tell, assume it is ours
  }
}

/** Reads and classifies the pidfile of `uid`. */
export function readPidState(pidDir: string, uid: number): PidState {
  const file = pidfilePath(pidDir, uid)
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch {
    return { kind: 'absent' }
  }
  if (text === '') {
    const young = Date.now() - statSync(file).mtimeMs < STARTING_GRACE_MS
    return young ? { kind: 'starting' } : { kind: 'stale', pid: null }
  }
  const pid = Number(text)
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && isOurWorker(pid)) {
    return { kind: 'running', pid }
  }
  return { kind: 'stale', pid: Number.isInteger(pid) ? pid : null }
}

/**
 * Creates the pidfile of `uid` exclusively (O_EXCL), so two `start` commands
 * racing for the same uid cannot both win. A stale pidfile is removed first.
 * Returns false when a live or starting worker already holds the uid.
 */
export function claimPidfile(pidDir: string, uid: number): boolean {
  const state = readPidState(pidDir, uid)
  if (state.kind === 'running' || state.kind === 'starting') return false
  if (state.kind === 'stale') removePidfile(pidDir, uid)
  try {
    // Empty on purpose: daemonize2 treats an empty pidfile as "not running"
    // and writes the child's pid into it.
    closeSync(openSync(pidfilePath(pidDir, uid), 'wx'))
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
}

/** Removes the pidfile of `uid`; a missing file is fine (idempotent). */
export function removePidfile(pidDir: string, uid: number): void {
  try {
    unlinkSync(pidfilePath(pidDir, uid))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}

/** Removes the pidfile of `uid` only if it still names `pid`. */
export function removePidfileOf(pidDir: string, uid: number, pid: number): void {
  try {
    if (Number(readFileSync(pidfilePath(pidDir, uid), 'utf8').trim()) === pid) {
      removePidfile(pidDir, uid)
    }
  } catch {
    // already gone
  }
}

/** Writes `pid` into the pidfile of `uid` (used by the daemon itself). */
export function writePid(pidDir: string, uid: number, pid: number): void {
  const fd = openSync(pidfilePath(pidDir, uid), 'w')
  try {
    writeSync(fd, `${pid}\n`)
  } finally {
    closeSync(fd)
  }
}

/** The uids that have a pidfile, ascending. */
export function knownUids(pidDir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(pidDir)
  } catch {
    return []
  }
  return names
    .map((name) => /^async\.(\d+)\.pid$/.exec(name)?.[1])
    .filter((uid): uid is string => uid !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}
