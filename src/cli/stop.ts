import { isAlive } from './pidfile.js'

const POLL_MS = 100
const KILL_WAIT_MS = 5_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Sends SIGTERM once, waits up to `timeoutMs` for the worker to finish its
 * running tasks and exit, then escalates to SIGKILL. Returns true if it had to
 * kill. We do not use daemonize2's stop: it re-sends SIGTERM and only looks
 * again after a whole timeout, so every stop would take the full timeout.
 */
export async function stopPid(pid: number, timeoutMs: number): Promise<boolean> {
  signal(pid, 'SIGTERM')
  if (await waitForExit(pid, timeoutMs)) return false
  signal(pid, 'SIGKILL')
  await waitForExit(pid, KILL_WAIT_MS)
  return true
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(POLL_MS)
  }
  return true
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // already gone: stopping is idempotent
  }
}
