// The checks must bite: before any real run, feed check() made-up evidence
// with one defect of each kind and make sure each one fails the run.
import { check } from './checks.mjs'

const proc = (slot, pid, signal = null) => ({ slot, pid, signal, code: signal ? null : 0 })
const log = (p, lost = [], released = []) => ({
  lost,
  released,
  errors: 0,
  errorKinds: [],
  rescues: 0,
  lines: [],
  proc: p,
})

// A clean history: task 1 fast (one run by w1), task 2 re-run after its first
// worker (w2) was SIGKILLed, then finished by w1.
function clean() {
  const w1 = proc(0, 101)
  const w2 = proc(1, 102, 'SIGKILL')
  return {
    tasks: [
      { id: 1, action: 'fast', status: 'succeeded', error: null },
      { id: 2, action: 'fast', status: 'succeeded', error: null },
      // A corrupt row (corrupt.mjs kind 0), refused before its method ran.
      {
        id: 3,
        queue: 'corrupt.0',
        action: 'fast',
        status: 'failed',
        error: 'UnknownTargetError: NoSuchTarget is not registered',
      },
    ],
    transitions: [
      {
        task_id: 1,
        old_status: 'pending',
        new_status: 'running',
        old_locked_by: null,
        old_attempts: 0,
        attempts: 0,
      },
      {
        task_id: 1,
        old_status: 'running',
        new_status: 'succeeded',
        old_locked_by: 'chaos-0-101',
        old_attempts: 0,
        attempts: 1,
      },
      {
        task_id: 2,
        old_status: 'pending',
        new_status: 'running',
        old_locked_by: null,
        old_attempts: 0,
        attempts: 0,
      },
      {
        task_id: 2,
        old_status: 'running',
        new_status: 'pending',
        old_locked_by: 'chaos-1-102',
        old_attempts: 0,
        attempts: 0,
      },
      {
        task_id: 2,
        old_status: 'pending',
        new_status: 'running',
        old_locked_by: null,
        old_attempts: 0,
        attempts: 0,
      },
      {
        task_id: 2,
        old_status: 'running',
        new_status: 'succeeded',
        old_locked_by: 'chaos-0-101',
        old_attempts: 0,
        attempts: 1,
      },
      {
        task_id: 3,
        old_status: 'running',
        new_status: 'failed',
        old_locked_by: 'chaos-0-101',
        old_attempts: 0,
        attempts: 1,
      },
    ],
    executions: [
      { id: 1, w: 'chaos-0-101', a: 0, t: 1 },
      { id: 2, w: 'chaos-1-102', a: 0, t: 2 },
      { id: 2, w: 'chaos-0-101', a: 0, t: 3 },
    ],
    logs: new Map([
      ['chaos-0-101', log(w1)],
      ['chaos-1-102', log(w2)],
    ]),
    procs: [w1, w2],
  }
}

const DEFECTS = {
  'a task left pending': (e) => (e.tasks[0].status = 'pending'),
  'a task missing': (e) => e.tasks.pop(),
  'a task finished twice': (e) =>
    e.transitions.push({
      task_id: 1,
      old_status: 'succeeded',
      new_status: 'succeeded',
      old_locked_by: null,
      old_attempts: 1,
      attempts: 2,
    }),
  'a re-run without a cause': (e) => e.executions.push({ id: 1, w: 'chaos-0-101', a: 0, t: 4 }),
  'a lease lost with the database up': (e) => {
    e.executions.push({ id: 1, w: 'chaos-0-101', a: 0, t: 4 })
    e.logs.get('chaos-0-101').lost.push(1)
  },
  'a task ending other than designed': (e) => (e.tasks[1].status = 'failed'),
  'a corrupt row that ran to success': (e) =>
    Object.assign(e.tasks[2], { status: 'succeeded', error: null }),
  'a corrupt row failed for another reason': (e) => (e.tasks[2].error = 'SerializationError: no'),
  'a corrupt row left pending': (e) => (e.tasks[2].status = 'pending'),
}

/** Returns the defects the checks let through (empty when they all bite). */
export function selfTest() {
  const run = (evidence) =>
    check(evidence, {
      total: 2,
      events: [],
      procs: evidence.procs,
      outage: { down: 0, up: 0 },
      leaseMs: 1, // the outage's settling window ends at t = 2, before the runs above
    })
  const missed = []
  if (!run(clean()).every((r) => r.ok)) missed.push('a clean history fails')
  for (const [name, inject] of Object.entries(DEFECTS)) {
    const evidence = clean()
    inject(evidence)
    if (run(evidence).every((r) => r.ok)) missed.push(name)
  }
  return missed
}
