import { closeSync, openSync, readSync, statSync } from 'node:fs'

import { isAlive } from './pidfile.js'

/** How a daemon's start-up ended. */
export type StartOutcome = { kind: 'ready' } | { kind: 'died'; log: string } | { kind: 'timeout' }

const POLL_MS = 100

/** The size of `file` now, so we later read only what the new daemon wrote. */
export function logOffset(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

/** What `file` gained since `offset`. */
export function readSince(file: string, offset: number): string {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return ''
  }
  try {
    const length = Math.max(0, statSync(file).size - offset)
    const buffer = Buffer.alloc(length)
    readSync(fd, buffer, 0, length, offset)
    return buffer.toString('utf8')
  } finally {
    closeSync(fd)
  }
}

/**
 * Waits until the daemon `pid` logs `readyLine` (its worker loop runs), dies
 * (we return what it logged, i.e. its error), or `timeoutMs` passes.
 * daemonize2 alone reports "started" as soon as the main module was required,
 * before the app or the database were even touched.
 */
export async function watchStart(options: {
  pid: number
  logFile: string
  offset: number
  readyLine: string
  timeoutMs: number
}): Promise<StartOutcome> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const log = readSince(options.logFile, options.offset)
    if (log.includes(options.readyLine)) return { kind: 'ready' }
    if (!isAlive(options.pid)) return { kind: 'died', log }
    if (Date.now() > deadline) return { kind: 'timeout' }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
