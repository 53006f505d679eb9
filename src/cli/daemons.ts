import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { spawnDaemon } from '../daemon.cjs'
import { flagsToArgv, type WorkerFlags } from './args.js'
import type { DaemonSettings } from './host-config.js'
import {
  claimPidfile,
  pidfilePath,
  readPidState,
  removePidfile,
  removePidfileOf,
} from './pidfile.js'
import { logOffset, readSince, watchStart } from './start-watch.js'
import { stopPid } from './stop.js'
import { readyLine, workerName } from './worker-name.js'

/** Exit codes of the daemon commands (LSB: 3 = not running). */
export const EXIT = { ok: 0, failed: 1, notRunning: 3 } as const

// dist/cli.cjs and dist/daemon-entry.cjs are built side by side (tsup.config.ts).
const ENTRY = join(__dirname, 'daemon-entry.cjs')

/** The log file of worker `uid`. */
export function logFilePath(settings: DaemonSettings, uid: number): string {
  return join(settings.logDir, `async.${uid}.log`)
}

/**
 * Starts daemon `uid`, or, without one, adds a daemon under the lowest free
 * uid. Claiming the pidfile exclusively is what makes the uid ours.
 */
export async function start(settings: DaemonSettings, uid: number | undefined, flags: WorkerFlags) {
  mkdirSync(settings.pidDir, { recursive: true })
  mkdirSync(settings.logDir, { recursive: true })
  if (uid !== undefined && !claimPidfile(settings.pidDir, uid)) {
    const state = readPidState(settings.pidDir, uid)
    const pid = state.kind === 'running' ? ` (pid ${state.pid})` : ''
    console.log(`async.${uid} is already running${pid}`)
    return EXIT.ok
  }
  const chosen = uid ?? claimNextUid(settings.pidDir)
  return launch(settings, chosen, flags)
}

function claimNextUid(pidDir: string): number {
  for (let uid = 1; ; uid += 1) if (claimPidfile(pidDir, uid)) return uid
}

async function launch(settings: DaemonSettings, uid: number, flags: WorkerFlags) {
  const logFile = logFilePath(settings, uid)
  const offset = logOffset(logFile)
  let pid: number
  try {
    pid = await spawnDaemon({
      main: ENTRY,
      // Also the process title, which lets a stale-pid check recognise our workers.
      name: `sequelize-async.${uid}`,
      pidfile: pidfilePath(settings.pidDir, uid),
      cwd: settings.root,
      argv: [
        `--uid=${uid}`,
        `--config=${settings.configPath}`,
        `--pid-dir=${settings.pidDir}`,
        `--log=${logFile}`,
        ...flagsToArgv(flags),
      ],
    })
  } catch (error) {
    // daemonize2 noticed the daemon die right away; its log says why.
    removePidfile(settings.pidDir, uid)
    const log = readSince(logFile, offset).trimEnd()
    console.error(`async.${uid} failed to start: ${log || (error as Error).message}`)
    console.error(`(log: ${logFile})`)
    return EXIT.failed
  }
  return reportStart(settings, uid, pid, logFile, offset)
}

async function reportStart(
  settings: DaemonSettings,
  uid: number,
  pid: number,
  logFile: string,
  offset: number,
) {
  const outcome = await watchStart({
    pid,
    logFile,
    offset,
    readyLine: readyLine(workerName(uid, pid)),
    timeoutMs: settings.startTimeout,
  })
  if (outcome.kind === 'died') {
    removePidfileOf(settings.pidDir, uid, pid)
    console.error(`async.${uid} (pid ${pid}) died while starting:\n${outcome.log.trimEnd()}`)
    console.error(`(log: ${logFile})`)
    return EXIT.failed
  }
  if (outcome.kind === 'timeout') {
    const seconds = settings.startTimeout / 1000
    console.log(
      `async.${uid} (pid ${pid}) runs but has not reported ready after ${seconds}s; see ${logFile}`,
    )
    return EXIT.ok
  }
  console.log(`async.${uid} started (pid ${pid}, log ${logFile})`)
  return EXIT.ok
}

/** Stops daemon `uid`, or every daemon with a pidfile. */
export async function stop(settings: DaemonSettings, uids: number[]) {
  if (uids.length === 0) {
    console.log('no async workers are running')
    return EXIT.ok
  }
  await Promise.all(uids.map((uid) => stopOne(settings, uid)))
  return EXIT.ok
}

async function stopOne(settings: DaemonSettings, uid: number) {
  const state = readPidState(settings.pidDir, uid)
  if (state.kind === 'absent') return console.log(`async.${uid} is not running`)
  if (state.kind === 'starting')
    return console.log(`async.${uid} is starting; stop it again shortly`)
  if (state.kind === 'stale') {
    removePidfile(settings.pidDir, uid)
    return console.log(`async.${uid} was not running (stale pidfile removed)`)
  }
  const killed = await stopPid(state.pid, settings.stopTimeout)
  removePidfileOf(settings.pidDir, uid, state.pid)
  const how = killed ? `killed after ${settings.stopTimeout / 1000}s without stopping` : 'stopped'
  console.log(`async.${uid} ${how} (pid ${state.pid})`)
}

/** Prints the state of each uid; 0 when any of them runs, 3 otherwise. */
export function status(settings: DaemonSettings, uids: number[]) {
  let running = 0
  for (const uid of uids) {
    const state = readPidState(settings.pidDir, uid)
    if (state.kind === 'running') running += 1
    console.log(`async.${uid}: ${describeState(state)}`)
  }
  if (uids.length === 0) console.log('no async workers are running')
  return running > 0 ? EXIT.ok : EXIT.notRunning
}

function describeState(state: ReturnType<typeof readPidState>): string {
  if (state.kind === 'running') return `running (pid ${state.pid})`
  if (state.kind === 'stale') return `not running (stale pidfile for pid ${state.pid ?? '?'})`
  return state.kind === 'starting' ? 'starting' : 'not running'
}
