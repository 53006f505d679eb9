/**
 * The worker's log: one line per task in the seed's format,
 * `2026-11-27 20:11:05 SUCCESS 42: Order(17)#sendConfirmationEmail (128 ms)`.
 */

/** Where log lines go. `console` fits. */
export interface Logger {
  info(message: string): void
  error(message: string): void
}

export const consoleLogger: Logger = {
  info: (message) => console.log(message),
  error: (message) => console.error(message),
}

/** Local time as `YYYY-MM-DD HH:MM:SS`, like the seed's log. */
export function timestamp(date = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  )
}

export function logLine(word: string, text: string): string {
  return `${timestamp()} ${word} ${text}`
}
