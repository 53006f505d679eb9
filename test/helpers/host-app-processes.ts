// Finds processes by their working directory, which is how the tests prove
// that no worker outlives a `stop`, and clean up if one does.
import { readdirSync, readlinkSync } from 'node:fs'

/** Pids of live (non-zombie) processes whose cwd is `root` or below it. */
export function processesIn(root: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`)
      if (cwd === root || cwd.startsWith(`${root}/`)) pids.push(pid)
    } catch {
      // gone, or not ours to read
    }
  }
  return pids
}

/** SIGKILLs whatever still runs in `root`; returns how many it found. */
export function killProcessesIn(root: string): number {
  const pids = processesIn(root)
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  return pids.length
}

export { waitFor } from './wait.js'
