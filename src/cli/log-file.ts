import { openSync, writeSync } from 'node:fs'

/**
 * Sends this process's stdout and stderr to `logFile` (appending).
 * daemonize2 starts the daemon with stdio ignored, so without this every log
 * line and the reason of a crash would be lost. Writes are synchronous so the
 * last line before `process.exit` reaches the file.
 */
export function redirectOutputTo(logFile: string): void {
  const fd = openSync(logFile, 'a')
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    writeSync(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk))
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined
    callback?.()
    return true
  }
  process.stdout.write = write
  process.stderr.write = write
}
