import { openSync, writeSync } from 'node:fs'

/**
 * Sends this process's stdout and stderr to `logFile` (appending).
 * daemonize2 starts the daemon with stdio ignored, so without this every log
 * line and the reason of a crash would be lost. Writes are synchronous so the
 * last line before `process.exit` reaches the file.
 */
export function redirectOutputTo(logFile: string): void {
  const fd = openSync(logFile, 'a')
  const write = (chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string') writeSync(fd, chunk)
    else writeSync(fd, chunk as Uint8Array)
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function')
    callback?.()
    return true
  }
  process.stdout.write = write
  process.stderr.write = write
}
