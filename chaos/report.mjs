// Prints one dialect's chaos summary: what was done to it, then every check.
export function printReport({ dialect, settings, outcome, evidence, results, seconds }) {
  const { events, procs, drainedMs } = outcome
  const n = (what) => events.filter((e) => e.what === what).length
  const logs = [...evidence.logs.values()]
  const sum = (f) => logs.reduce((s, l) => s + f(l), 0)
  const down = outcome.outage && outcome.outage.up - outcome.outage.down
  const lines = [
    `-- ${dialect}: ${settings.tasks} tasks, ${settings.workers} workers × concurrency ${settings.concurrency}, lease ${settings.leaseMs} ms`,
    `   chaos: ${n('sigkill')} SIGKILL, ${n('sigterm')} SIGTERM (graceful stop, then restart), ${procs.length} worker processes in all`,
    `   outage: ${outcome.outage?.how ?? '-'}, ${down ?? '?'} ms without the database`,
    `   ${outcome.stalled ? 'STALLED (no progress for 90 s) after' : 'drained in'} ${(drainedMs / 1000).toFixed(1)} s; ${evidence.executions.length} executions for ${evidence.tasks.length} tasks; median worker boot ${median(procs.filter((p) => p.readyAt).map((p) => p.readyAt - p.spawnedAt))} ms`,
    `   worker logs: ${sum((l) => l.errors)} ERROR lines, ${sum((l) => l.rescues)} RESCUE, ${sum((l) => l.lost.length)} LOST, ${sum((l) => l.released.length)} released`,
  ]
  const kinds = new Map()
  for (const kind of logs.flatMap((l) => l.errorKinds)) kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  for (const [kind, count] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 6)) {
    lines.push(`     ${String(count).padStart(5)} × ${kind}`)
  }
  for (const r of results) {
    const label = r.label.padEnd(66, ' ')
    lines.push(
      `   ${r.ok ? '✔' : '✘'} ${label} ${String(r.value).padStart(5)}${r.detail ? `  (${r.detail})` : ''}`,
    )
  }
  const ok = results.every((r) => r.ok)
  lines.push(`   ${ok ? 'PASS' : 'FAIL'} ${dialect} in ${seconds.toFixed(1)} s`)
  console.log(lines.join('\n'))
  if (!ok) printCrashLogs(evidence)
}

function printCrashLogs(evidence) {
  for (const [name, log] of evidence.logs) {
    if (log.proc.code !== 0 && log.proc.code !== null) {
      const tail = log.lines.slice(-8).join('\n     ')
      console.log(`   worker ${name} exited ${log.proc.code}; last lines:\n     ${tail}`)
    }
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : '?'
}
