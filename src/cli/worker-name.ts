import { hostname } from 'node:os'

/**
 * A worker name unique across machines and restarts (it is what a claimed
 * task's lease records): `async.2@web-1:4711`.
 */
export function workerName(uid?: number, pid = process.pid): string {
  return `async${uid === undefined ? '' : `.${uid}`}@${hostname()}:${pid}`
}

/** The line a daemon logs once its worker loop runs; `start` waits for it. */
export function readyLine(name: string): string {
  return `${name}: worker started`
}
