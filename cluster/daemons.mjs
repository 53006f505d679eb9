// The processes and leftovers of one cluster run: every daemon is started in
// its own process group with its log in the run's directory, and everything
// is undone in reverse order by one synchronous cleanup that run.mjs calls on
// exit, Ctrl-C and SIGTERM, so an interrupted run leaves no server, no
// namespace and no data directory behind.
import { execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as netConnect } from 'node:net'

const undo = [] // functions, run last-in first-out
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

/** The run's directory (readable by the postgres and mysql users, which run the servers). */
export function runDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `sequelize-async-cluster-${label}-`))
  chmodSync(dir, 0o755)
  undo.push(() => (process.env.CLUSTER_KEEP ? null : rmSync(dir, { recursive: true, force: true })))
  return dir
}

/** Registers a synchronous undo step. */
export function onCleanup(fn) {
  undo.push(fn)
}

// Whether any process of the group is left (runuser may end before the
// server it ran). A daemon that ended is a zombie until Node reaps it, which
// it cannot do while cleanup blocks the event loop: a zombie counts as gone.
const alive = (pgid) =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .some((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        return Number(pgrp) === pgid && state !== 'Z'
      } catch {
        return false // ended while we looked
      }
    })

/** SIGKILLs a PostgreSQL server by its data directory (Patroni starts it in a group of its own). */
export function killPostmaster(data) {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
    if (pid > 0) process.kill(pid, 'SIGKILL')
  } catch {
    // not running
  }
}

/** Stops a daemon's whole process group: SIGTERM, then SIGKILL after `graceMs`. */
export function stopSync(d, graceMs = 8000) {
  if (!d.pid || !alive(d.pid)) return
  try {
    process.kill(-d.pid, d.stopSignal ?? 'SIGTERM')
  } catch {
    return
  }
  const until = Date.now() + graceMs
  while (alive(d.pid) && Date.now() < until) sleepSync(50)
  try {
    process.kill(-d.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/**
 * Starts `cmd args` as a daemon (own process group, output to `<dir>/<name>.log`);
 * `user` runs it as that user (postgres refuses root). Resolves with the daemon.
 */
export function start(dir, name, cmd, args, { user, env, stopSignal, cwd } = {}) {
  const log = join(dir, `${name}.log`)
  const fd = openSync(log, 'a')
  const [file, argv] = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args]
  const child = spawn(file, argv, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...env },
    cwd,
  })
  closeSync(fd)
  const d = { name, pid: child.pid, log, child, stopSignal }
  d.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  undo.push(() => stopSync(d))
  return d
}

/** Runs a command to completion, returning its output; throws with its output on failure. */
export function run(cmd, args, { user, input, env } = {}) {
  const [file, argv] = user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, args]
  try {
    return execFileSync(file, argv, { input, env: { ...process.env, ...env }, encoding: 'utf8' })
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr || err.stdout || err.message}`)
  }
}

/** Resolves once `host:port` accepts a TCP connection; throws after `ms`. */
export async function waitForPort(host, port, ms = 60_000, what = `${host}:${port}`) {
  const until = Date.now() + ms
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = netConnect({ host, port }, () => (s.destroy(), resolve(true)))
      s.on('error', () => resolve(false))
      s.setTimeout(1000, () => (s.destroy(), resolve(false)))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`${what} did not open within ${ms} ms`)
    await sleep(200)
  }
}

/** How many undo steps there are now: `cleanup(checkpoint())` later undoes only what came after. */
export const checkpoint = () => undo.length

/** Undoes everything (or everything after `to`), newest first; safe to call twice. */
export function cleanup(to = 0) {
  while (undo.length > to) {
    const fn = undo.pop()
    try {
      fn()
    } catch (err) {
      console.error(`cleanup step failed: ${err.message}`)
    }
  }
}
