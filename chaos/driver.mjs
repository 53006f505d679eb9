// Drives one dialect's chaos run: enqueues the tasks, keeps N worker
// processes running, SIGKILLs one every few seconds and restarts it, stops
// another gracefully with SIGTERM now and then, inflicts one database outage,
// and waits until every task is in a final state.
import { fork } from 'node:child_process'
import { closeSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { installAsync } from './package.mjs'
import { installAudit } from './audit.mjs'
import { connect, outage } from './db.mjs'
import { KINDS, chaosTarget, kindOf } from './tasks.mjs'
import { insertCorrupt } from './corrupt.mjs'

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const between = (lo, hi) => lo + Math.random() * (hi - lo)
const pick = (list) => list[Math.floor(Math.random() * list.length)]

/** Creates the schema and enqueues `n` tasks due evenly over `windowMs`. */
export async function prepare(db, { tasks: n, windowMs, kind = kindOf, pool }) {
  const sequelize = connect(db.config, pool ? { pool } : {})
  const app = installAsync(sequelize, {
    classes: { Chaos: chaosTarget('/dev/null', () => ({})) },
    ...(process.env.CHAOS_PREPARED_STATEMENTS === 'false' ? { preparedStatements: false } : {}),
  })
  await app.migrate()
  await installAudit(sequelize)
  const start = Date.now()
  const batch = async (from) =>
    sequelize.transaction(async (transaction) => {
      for (let i = from; i < Math.min(n, from + 1000); i++) {
        const k = kind(i)
        const scheduledAt = new Date(start + (i / n) * windowMs)
        await app.classes.Chaos.async(k, { ...KINDS[k].options(i), scheduledAt, transaction })
      }
    })
  // Batches side by side on a server; SQLite has one writer anyway.
  const lanes = db.dialect === 'sqlite' ? 1 : 4
  let next = 0
  const lane = async () => {
    while (next < n) {
      const from = next
      next += 1000
      await batch(from)
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return { sequelize, AsyncTask: app.AsyncTask, enqueueMs: Date.now() - start }
}

/** Runs the chaos against prepared tasks; resolves with what happened. */
export async function unleash(db, AsyncTask, opts) {
  const { dir, workers: count, total, windowMs, log } = opts
  const events = [] // { t, what, pid?, ... }
  const procs = [] // every worker process ever started
  const live = new Map() // slot -> proc
  let finishing = false
  let generation = 0

  const spawnWorker = (slot) => {
    const file = join(dir, `worker-${slot}-${++generation}.log`)
    const fd = openSync(file, 'a')
    // A cluster run (cluster/run.mjs) may start a slot's worker elsewhere: in
    // a network namespace (execPath), against another node (env).
    const where = opts.placeWorker?.(slot) ?? {}
    const child = fork(WORKER, [], {
      ...(where.execPath ? { execPath: where.execPath } : {}),
      env: {
        ...process.env,
        CHAOS_DB: JSON.stringify(db.config),
        CHAOS_DIR: dir,
        CHAOS_SLOT: String(slot),
        CHAOS_LEASE_MS: String(opts.leaseMs),
        CHAOS_CONCURRENCY: String(opts.concurrency),
        ...where.env,
      },
      stdio: ['ignore', fd, fd, 'ipc'],
    })
    closeSync(fd)
    const proc = {
      ...{ slot, pid: child.pid, child, file, ready: false, signal: null, code: null },
      spawnedAt: Date.now(),
    }
    proc.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        Object.assign(proc, { code, exitSignal: signal, endedAt: Date.now() })
        if (live.get(slot) === proc) live.delete(slot)
        if (!proc.signal) events.push({ t: Date.now(), what: 'crash', pid: proc.pid, code, signal })
        if (!finishing) setTimeout(() => !finishing && spawnWorker(slot), 200)
        resolve()
      }),
    )
    child.on('message', (m) => {
      if (m === 'ready') Object.assign(proc, { ready: true, readyAt: Date.now() })
    })
    procs.push(proc)
    live.set(slot, proc)
    return proc
  }

  // Only workers that have been working a while: on a loaded machine a worker
  // takes seconds to boot, and killing it at once would prove nothing.
  const victims = () =>
    [...live.values()].filter(
      (p) => p.ready && !p.signal && Date.now() - p.readyAt >= opts.minUptimeMs,
    )

  const kill = () => {
    const p = pick(victims())
    if (!p) return
    p.signal = 'SIGKILL'
    events.push({ t: Date.now(), what: 'sigkill', pid: p.pid })
    p.child.kill('SIGKILL')
  }

  const term = async () => {
    const p = pick(victims())
    if (!p) return
    p.signal = 'SIGTERM'
    const t = Date.now()
    events.push({ t, what: 'sigterm', pid: p.pid })
    p.child.kill('SIGTERM')
    const hung = await Promise.race([p.exited.then(() => false), sleep(20_000).then(() => true)])
    if (hung) {
      p.hung = true
      events.push({ t: Date.now(), what: 'term-hung', pid: p.pid })
      p.child.kill('SIGKILL')
    } else
      events.push({
        t: Date.now(),
        what: 'term-exit',
        pid: p.pid,
        code: p.code,
        ms: Date.now() - t,
      })
  }

  for (let slot = 0; slot < count; slot++) spawnWorker(slot)
  const started = Date.now()
  // Corrupt rows, spread over the window (a database outage only delays them).
  let corrupted = 0
  const corrupter = (async () => {
    for (let i = 0; i < opts.corrupt; i++) {
      await sleep(windowMs / (opts.corrupt + 1))
      for (;;) {
        try {
          await insertCorrupt(AsyncTask.sequelize, i)
          corrupted++
          break
        } catch {
          await sleep(500) // the database is down
        }
      }
    }
  })()
  // No fixed deadline: a loaded machine drains slowly. The run fails when no
  // task became final for stallMs (after the window), or after maxMs in all.
  let lastProgress = started + windowMs
  const hardDeadline = started + opts.maxMs

  // Chaos timers, stopped once every task is final.
  const loops = []
  const every = (lo, hi, fn) =>
    loops.push(
      (async () => {
        while (!finishing) {
          await sleep(between(lo, hi))
          if (!finishing) await fn()
        }
      })(),
    )
  if (!opts.calm && opts.kills !== false) {
    every(opts.killEvery[0], opts.killEvery[1], kill)
    every(opts.termEvery[0], opts.termEvery[1], term)
  }
  let outageDone = opts.calm ? null : undefined
  const outageTimer = sleep(opts.calm ? 0 : windowMs * opts.outageAt).then(async () => {
    if (opts.calm) return
    log(`  ${db.dialect}: database outage starts`)
    try {
      outageDone = await (opts.outage ?? outage)(db)
      events.push({ t: outageDone.down, what: 'db-down', how: outageDone.how })
      events.push({ t: outageDone.up, what: 'db-up' })
      log(
        `  ${db.dialect}: database back after ${outageDone.up - outageDone.down} ms (${outageDone.how})`,
      )
    } catch (err) {
      outageDone = { error: err.message }
      events.push({ t: Date.now(), what: 'db-outage-failed', error: err.message })
    }
  })

  let final = 0
  let lastLog = 0
  let stalled = false
  for (;;) {
    try {
      const now = await AsyncTask.count({ where: { status: ['succeeded', 'failed', 'cancelled'] } })
      if (now > final) lastProgress = Math.max(lastProgress, Date.now())
      final = now
    } catch {
      // the database is down; the outage timer brings it back
    }
    if (Date.now() - lastLog > 10_000) {
      lastLog = Date.now()
      log(
        `  ${db.dialect}: ${final}/${total + opts.corrupt} final after ${Math.round((Date.now() - started) / 1000)} s`,
      )
    }
    if (final === total + opts.corrupt && corrupted === opts.corrupt && outageDone !== undefined)
      break
    stalled = Date.now() - lastProgress > opts.stallMs
    if (stalled || Date.now() > hardDeadline) break
    await sleep(1000)
  }
  const drainedMs = Date.now() - started
  finishing = true
  await outageTimer
  await corrupter
  await Promise.all(loops)
  // Graceful stop of everyone left: each must exit 0. A worker still starting
  // has no SIGTERM handler yet, so it is given time to get ready first.
  const rest = [...live.values()]
  for (let i = 0; i < 60 && rest.some((p) => !p.ready && p.code === null); i++) await sleep(250)
  for (const p of rest) {
    if (!p.ready) {
      // Still booting after 15 s (a very loaded machine): it has run nothing.
      p.signal = 'SIGKILL'
      events.push({ t: Date.now(), what: 'sigkill-unready', pid: p.pid })
      p.child.kill('SIGKILL')
      continue
    }
    p.signal = 'SIGTERM'
    events.push({ t: Date.now(), what: 'sigterm-final', pid: p.pid })
    p.child.kill('SIGTERM')
  }
  await Promise.all(
    rest.map((p) =>
      Promise.race([
        p.exited,
        sleep(20_000).then(() => {
          p.hung = true
          events.push({ t: Date.now(), what: 'term-hung', pid: p.pid })
          p.child.kill('SIGKILL')
        }),
      ]),
    ),
  )
  await Promise.all(procs.map((p) => p.exited))
  const slim = procs.map(({ child, exited, ...rest }) => rest)
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ events, procs: slim }, null, 1))
  return { events, procs, drainedMs, final, stalled, outage: outageDone }
}
