/**
 * The trace context stored on a task row: a W3C `traceparent`, then a space
 * and the `tracestate` when there is one. Written and read here rather than
 * through the app's propagator: the row is our own carrier between our own
 * producer and consumer, and W3C needs no package beyond the API.
 *
 * A row may have been written by anyone who can write the table, so reading
 * is strict: anything that is not a well-formed, valid context is ignored
 * (the task then starts a trace of its own).
 */

/** The parts of a span context that travel. */
export interface StoredContext {
  traceId: string
  spanId: string
  traceFlags: number
  /** The serialized tracestate, if any. */
  traceState?: string
}

/** traceparent (55) + a space + the 512 tracestate characters W3C asks vendors to keep. */
export const MAX_STORED = 600

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const ZEROS = /^0+$/
// tracestate: list members of printable ASCII; no control characters.
const TRACESTATE = /^[\x20-\x7e]{1,512}$/

/** `00-<trace id>-<span id>-<flags>[ <tracestate>]`; tracestate past 512 characters is dropped. */
export function formatTraceContext(context: StoredContext): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0')
  const parent = `00-${context.traceId}-${context.spanId}-${flags}`
  const state = context.traceState?.trim()
  return state && TRACESTATE.test(state) ? `${parent} ${state}` : parent
}

/** The stored context, or undefined when `text` is missing or not a valid one. */
export function parseTraceContext(text: string | null | undefined): StoredContext | undefined {
  if (!text || text.length > MAX_STORED) return undefined
  const space = text.indexOf(' ')
  const parent = space === -1 ? text : text.slice(0, space)
  const match = TRACEPARENT.exec(parent)
  if (!match) return undefined
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  if (ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined
  const state = space === -1 ? '' : text.slice(space + 1).trim()
  const context: StoredContext = { traceId, spanId, traceFlags: parseInt(flags, 16) }
  if (state && TRACESTATE.test(state)) context.traceState = state
  return context
}
