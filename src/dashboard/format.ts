/** How values read on the pages: UTC times, ages, pretty stored JSON. */

export const formatTime = (date: Date | string | null | undefined): string => {
  if (date === null || date === undefined) return ''
  const d = date instanceof Date ? date : new Date(date)
  return Number.isNaN(d.getTime())
    ? String(date)
    : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** `11-27 22:40:05`: list rows are narrow; the column header says UTC. */
export const formatShortTime = (date: Date | null | undefined): string =>
  formatTime(date).slice(5, 19)

/** `4 s ago`, `3 min ago`: the age of a heartbeat. */
export function formatAge(date: Date, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000))
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`
}

/** HH:MM in UTC, for chart ticks. */
export const formatClock = (date: Date): string => date.toISOString().slice(11, 16)

/**
 * The stored tagged JSON, indented. Shown as stored rather than decoded: the
 * tags (Date, BigInt, record references) are what an operator needs to see.
 */
export function prettyJson(text: string | null | undefined): string {
  if (text === null || text === undefined) return ''
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

/** Long error texts are cut in lists; the detail page shows them whole. */
export const truncate = (text: string | null | undefined, max = 120): string =>
  !text ? '' : text.length > max ? `${text.slice(0, max - 1)}…` : text
