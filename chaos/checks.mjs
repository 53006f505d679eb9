// The checks of a chaos run, computed from the evidence (evidence.mjs).
// Every execution of a task method is matched against the outcome the
// database recorded for it: same worker (locked_by), same attempt number.
// An execution without a recorded outcome is an interrupted run, and must
// have a cause: its worker was SIGKILLed, or its lease ran out while the
// database was unreachable (the worker then logs LOST and its result is
// discarded), or it was released at shutdown.
import { KINDS } from './tasks.mjs'
import { checkCorrupt, isCorrupt } from './corrupt.mjs'

const FINAL = new Set(['succeeded', 'failed', 'cancelled'])
const count = (map, key, by = 1) => map.set(key, (map.get(key) ?? 0) + by)

function interruptedRuns(evidence, outage, settleMs, corruptIds) {
  const { transitions, executions, logs } = evidence
  const recorded = new Map()
  for (const t of transitions) {
    // An outcome counts the attempt; a rescue or release hands the task back without.
    if (t.old_status === 'running' && t.old_locked_by && t.attempts === t.old_attempts + 1)
      count(recorded, `${t.task_id}|${t.old_locked_by}|${t.old_attempts}`)
  }
  const leftOver = new Map() // LOST / RELEASE lines not yet used up, per worker and task
  for (const [name, log] of logs) {
    for (const id of log.lost) count(leftOver, `lost|${name}|${id}`)
    for (const id of log.released) count(leftOver, `released|${name}|${id}`)
  }
  const causes = { killed: [], outage: [], leaseLost: [], released: [], unexplained: [] }
  for (const run of executions.sort((a, b) => a.t - b.t)) {
    const key = `${run.id}|${run.w}|${run.a}`
    if ((recorded.get(key) ?? 0) > 0) {
      count(recorded, key, -1)
      continue
    }
    const proc = logs.get(run.w)?.proc
    const take = (kind) => {
      const k = `${kind}|${run.w}|${run.id}`
      if (!(leftOver.get(k) > 0)) return false
      count(leftOver, k, -1)
      return true
    }
    // A run that started before the database came back may have been unable
    // to renew its lease (LOST) or to save its outcome before a graceful stop
    // released it: both are the outage's doing. So may a run that started in
    // the first moments after it came back, while every worker's backlog of
    // writes (and, on SQLite, the busy-waiting writers) drains: the run's
    // 2 s lease can expire before its heartbeat gets through. That settling
    // time is counted as two leases. Later, with the database up, neither may
    // happen (no task here runs near the 5 s shutdown timeout).
    const inOutage = outage?.up !== undefined && run.t <= outage.up + settleMs
    if (take('lost')) causes[inOutage ? 'outage' : 'leaseLost'].push(run)
    else if (take('released')) causes[inOutage ? 'outage' : 'released'].push(run)
    else if (proc && (proc.signal === 'SIGKILL' || proc.hung)) causes.killed.push(run)
    else causes.unexplained.push(run)
  }
  // A corrupt row fails before its method runs: an outcome without an execution.
  const orphanOutcomes = [...recorded].filter(
    ([key, n]) => n > 0 && !corruptIds.has(Number(key.split('|')[0])),
  ).length
  return { causes, orphanOutcomes }
}

export function check(evidence, { total, events, procs, outage, leaseMs = 0 }) {
  const { transitions } = evidence
  const corrupt = checkCorrupt(evidence.tasks)
  const corruptIds = new Set(corrupt.rows.map((t) => Number(t.id)))
  const tasks = evidence.tasks.filter((t) => !isCorrupt(t.queue))
  const results = []
  const add = (ok, label, value, detail) => results.push({ ok, label, value, detail })
  const ids = (list) => list.slice(0, 20).join(', ') + (list.length > 20 ? ', …' : '')

  const notFinal = evidence.tasks.filter((t) => !FINAL.has(t.status)).map((t) => Number(t.id))
  const missing = total - tasks.length
  add(
    notFinal.length + missing === 0,
    'tasks lost (missing or not in a final state)',
    notFinal.length + missing,
    notFinal.length ? `ids ${ids(notFinal)}` : '',
  )

  const finishes = new Map()
  for (const t of transitions) if (FINAL.has(t.new_status)) count(finishes, Number(t.task_id))
  const twice = [...finishes].filter(([, n]) => n > 1).map(([id]) => id)
  add(
    twice.length === 0,
    'tasks finished more than once',
    twice.length,
    twice.length ? `ids ${ids(twice)}` : '',
  )

  const wrong = tasks.filter((t) => {
    const kind = KINDS[t.action]
    if (!kind || t.status !== kind.expect) return true
    return kind.error !== undefined && !String(t.error).startsWith(`${kind.error}:`)
  })
  const byKind = Object.keys(KINDS).map((k) => `${k} ${tasks.filter((t) => t.action === k).length}`)
  add(
    wrong.length === 0,
    'tasks not ending as designed',
    wrong.length,
    wrong.length
      ? wrong
          .slice(0, 5)
          .map((t) => `${t.id} ${t.action} ${t.status} ${t.error ?? ''}`)
          .join('; ')
      : byKind.join(', '),
  )

  add(
    corrupt.wrong.length === 0,
    'corrupt rows not failed with their reason',
    corrupt.wrong.length,
    corrupt.wrong.length
      ? corrupt.wrong
          .slice(0, 5)
          .map((t) => `${t.id} ${t.queue} ${t.status} ${t.error ?? ''}`)
          .join('; ')
      : `${corrupt.rows.length} corrupt rows, each failed with its reason`,
  )

  const { causes, orphanOutcomes } = interruptedRuns(evidence, outage, 2 * leaseMs, corruptIds)
  const tasksOf = (runs) => [...new Set(runs.map((r) => Number(r.id)))]
  const killed = tasksOf(causes.killed)
  add(
    true,
    'tasks re-executed because their worker was SIGKILLed',
    killed.length,
    killed.length ? `ids ${ids(killed)}` : '',
  )
  const inOutage = tasksOf(causes.outage)
  add(
    true,
    'tasks re-executed because the outage cut them off (LOST/released)',
    inOutage.length,
    inOutage.length ? `ids ${ids(inOutage)}` : '',
  )
  const released = tasksOf(causes.released)
  add(
    released.length === 0,
    'tasks re-executed after release at shutdown, database up',
    released.length,
    released.length ? `ids ${ids(released)}` : '',
  )
  const leaseLost = tasksOf(causes.leaseLost)
  add(
    leaseLost.length === 0,
    'tasks re-executed after a lease ran out with the database up',
    leaseLost.length,
    leaseLost.length ? `ids ${ids(leaseLost)}` : '',
  )
  const unexplained = tasksOf(causes.unexplained)
  add(
    unexplained.length === 0,
    'tasks re-executed without a cause',
    unexplained.length,
    unexplained.length
      ? causes.unexplained
          .slice(0, 5)
          .map((r) => JSON.stringify(r))
          .join(' ')
      : '',
  )
  add(orphanOutcomes === 0, 'recorded outcomes with no execution', orphanOutcomes, '')

  const crashes = events.filter((e) => e.what === 'crash')
  add(
    crashes.length === 0,
    'worker processes that died on their own',
    crashes.length,
    crashes.map((e) => `pid ${e.pid} code ${e.code} signal ${e.signal}`).join('; '),
  )
  const termed = procs.filter((p) => p.signal === 'SIGTERM')
  const unclean = termed.filter((p) => p.code !== 0)
  add(
    unclean.length === 0,
    'SIGTERMed workers that did not exit 0',
    unclean.length,
    `of ${termed.length}${unclean.map((p) => `; pid ${p.pid} ${p.code ?? p.exitSignal}${p.hung ? ' after 20 s (SIGKILLed)' : ''}`).join('')}`,
  )
  add(
    !outage || outage.error === undefined,
    'database back after the outage',
    outage?.error ?? 'yes',
    '',
  )
  return results
}
