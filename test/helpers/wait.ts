/** Polling waits for tests: a condition in another process, a worker or the database. */

/**
 * Resolves once `check` is true, polling every `everyMs`; rejects after
 * `timeoutMs` with an error naming `what`, so a test fails at the wait, not
 * at a later assertion that only looks unrelated.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
