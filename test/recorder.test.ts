/**
 * A worker that stops while the database is away cannot store the outcomes
 * of its last runs: it says which, before it exits, once per task (the
 * retry that would have said so may never wake up again in a process that
 * is about to end). Chaos and cluster runs read that line as the cause of
 * the task's second run.
 */
import { describe, expect, it } from 'vitest'
import { Recorder, type Ending } from '../src/recorder.js'
import type { Context } from '../src/context.js'

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })

describe('Recorder.close', () => {
  it('gives up each unsaved outcome at once, with one line per task', async () => {
    let writes = 0
    const ctx = {
      lifecycle: {
        step: () => {
          writes++
          return Promise.reject(refused())
        },
      },
    } as unknown as Context
    const faults: string[] = []
    const recorder = new Recorder(ctx, 'w1', {
      settled: () => faults.push('settled'),
      fault: (what) => faults.push(what),
    })
    const ending = {
      row: { id: 7 },
      finished: { kind: 'succeeded' },
      tries: 0,
    } as unknown as Ending
    recorder.unsaved.add(7)
    const retrying = recorder.recover([ending], refused())
    while (writes < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    recorder.close()
    expect(recorder.unsaved.size).toBe(0)
    await retrying // the retry wakes up, sees the worker closed and the task given up: no second line
    const givenUp = faults.filter((f) => f.includes('task 7 was not stored'))
    expect(givenUp).toEqual([
      'the outcome of task 7 was not stored before the worker stopped; its lease runs out and it runs again',
    ])
    expect(faults).not.toContain('settled')
  })
})
