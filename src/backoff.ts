/**
 * Delay before a retry: exponential with full jitter, so that tasks failing
 * together (an API down) do not come back together.
 */

/** Returns the delay in ms before retry `attempt` (1 = first retry). */
export type Backoff = (attempt: number) => number

/** 1 s, 2 s, 4 s … capped at one hour, each multiplied by a random 0.5–1.0. */
export const defaultBackoff: Backoff = (attempt) => {
  const base = Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.5 + Math.random() / 2))
}
