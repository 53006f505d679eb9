// The chaos workload: a registered plain object whose methods are the task
// kinds, the mix the driver enqueues, and the outcome each kind is designed
// to end with. Every run appends a line to this worker's execution file
// (a synchronous write, so it survives SIGKILL of the process right after).
import { openSync, writeSync } from 'node:fs'

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })

/** The kinds, their share of the tasks, enqueue options and the designed final outcome. */
export const KINDS = {
  fast: { share: 0.7, expect: 'succeeded', options: () => ({}) },
  slow: { share: 0.1, expect: 'succeeded', options: (i) => ({ args: [100 + (i % 8) * 100] }) },
  // Fails its first 1 or 2 runs, then succeeds: maxAttempts leaves one spare.
  flaky: {
    share: 0.1,
    expect: 'succeeded',
    options: (i) => ({ args: [1 + (i % 2)], maxAttempts: 3 + (i % 2) }),
  },
  // Sleeps 3 s and ignores its AbortSignal; the 300 ms timeout fails it for good.
  hang: {
    share: 0.05,
    expect: 'failed',
    error: 'TimeoutError',
    options: (i) => ({ args: [3000], timeout: 300, maxAttempts: 1 + (i % 2) }),
  },
  // Always throws; fails for good after its two attempts.
  doomed: {
    share: 0.05,
    expect: 'failed',
    error: 'ChaosError',
    options: () => ({ maxAttempts: 2 }),
  },
}

/** The kind of the i-th task, spread evenly through the run. */
export function kindOf(i) {
  const x = (i * 0.6180339887) % 1 // golden-ratio sequence: every stretch has the same mix
  let sum = 0
  for (const [kind, { share }] of Object.entries(KINDS)) {
    sum += share
    if (x < sum) return kind
  }
  return 'fast'
}

class ChaosError extends Error {
  name = 'ChaosError'
}

/** The target the workers run; `file` receives one JSON line per execution. */
export function chaosTarget(file, currentTask, workerName) {
  const fd = openSync(file, 'a')
  const started = () => {
    const { task, signal } = currentTask()
    const line = { id: task.id, w: workerName, a: task.attempts, t: Date.now() }
    writeSync(fd, `${JSON.stringify(line)}\n`)
    return signal
  }
  return {
    fast() {
      started()
      return 'ok'
    },
    async slow(ms) {
      started()
      await sleep(ms)
      return ms
    },
    flaky(failures) {
      started()
      const { attempts } = currentTask().task
      if (attempts < failures) throw new ChaosError(`flaky run ${attempts + 1} of ${failures + 1}`)
      return attempts
    },
    async hang(ms) {
      started()
      await sleep(ms) // deliberately deaf to the signal: the slot must still be freed
      return ms
    },
    doomed() {
      started()
      throw new ChaosError('doomed: this task always fails')
    },
  }
}
