// Parent side of the worker child processes: spawn, wait for ready, start
// them together, add up their progress, stop them and collect peak RSS.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { now } from './clock.js'

const ENTRY = fileURLToPath(new URL('./worker-process.js', import.meta.url))
const READY_TIMEOUT_MS = 60000
// By-hand profiling of the worker processes, e.g.
// BENCH_WORKER_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (never in a measured run).
const CHILD_ARGS = process.env.BENCH_WORKER_ARGS
  ? process.env.BENCH_WORKER_ARGS.split(' ')
  : process.execArgv

function waitFor(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null)
      return reject(new Error(`worker exited with code ${child.exitCode} before "${type}"`))
    const timer = setTimeout(
      () => reject(new Error(`worker did not send "${type}" in ${timeoutMs} ms`)),
      timeoutMs,
    )
    const onMessage = (message) => {
      if (message.type !== type) return
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message)
    }
    const onExit = (code) => {
      clearTimeout(timer)
      reject(new Error(`worker exited with code ${code} before "${type}"`))
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

const EXIT_WAIT_MS = 10000

function exited(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

export async function spawnWorkers(system, settings, { processes, concurrency, onRun }) {
  const arg = JSON.stringify({ system, settings, concurrency })
  const children = Array.from({ length: processes }, () =>
    fork(ENTRY, [arg], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: CHILD_ARGS }),
  )
  // A child that dies closes its channel; sends to it must not throw.
  children.forEach((child) => child.on('error', () => {}))
  const send = (child, message) => child.connected && child.send(message)
  const progress = children.map(() => ({ count: 0, last: 0 }))
  children.forEach((child, i) =>
    child.on('message', (message) => {
      if (message.type === 'progress') progress[i] = message
      else if (message.type === 'run' && onRun) onRun(message.tag, message.t)
    }),
  )
  try {
    await Promise.all(children.map((child) => waitFor(child, 'ready', READY_TIMEOUT_MS)))
  } catch (err) {
    children.forEach((child) => child.kill('SIGKILL'))
    throw err
  }

  return {
    go() {
      const t0 = now()
      children.forEach((child) => send(child, { type: 'go' }))
      return t0
    },
    // True once any worker died on its own (its error is on stderr).
    died: () => children.some((child) => child.exitCode !== null || child.signalCode !== null),
    done: () => progress.reduce((sum, p) => sum + p.count, 0),
    lastRun: () => Math.max(...progress.map((p) => p.last)),
    async stop() {
      const stopped = children.map((child) => waitFor(child, 'stopped', 30000))
      children.forEach((child) => send(child, { type: 'stop' }))
      const results = await Promise.allSettled(stopped)
      // A stopped child exits on its own (a profiling one writes its profile first).
      await Promise.all(children.map((child) => exited(child, EXIT_WAIT_MS)))
      children.forEach((child) => child.exitCode === null && child.kill('SIGKILL'))
      const rss = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.maxRss)
      return { maxRss: rss.length ? Math.max(...rss) : null }
    },
  }
}
