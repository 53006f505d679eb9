// npm run bench: runs the planned rounds, prints one line per step, keeps the
// raw results in results/latest.json and rewrites docs/benchmarks.md.
import fs from 'node:fs/promises'
import { HELP, UsageError, readOptions } from './options.js'
import { planRound } from './plan.js'
import { now } from './clock.js'
import { machineInfo } from './report/machine.js'
import { summarize, writeReport } from './report/write.js'
import { targetLines } from './report/targets.js'
import { snapshotPackage } from './snapshot.js'

const RESULTS = new URL('./results/latest.json', import.meta.url)

function drainLine(m) {
  const f = (x, d = 0) => (x == null ? '–' : x.toFixed(d))
  const steady = m.steady
    ? `steady ${f(m.steady.perSec)}/s over ${f(m.steady.seconds, 1)} s${m.steady.toCompletion ? ' to completion' : ''}`
    : 'steady –'
  return `${steady}, cold ${f(m.cold?.perSec)}/s`
}

function headline(scenario, m) {
  if (!m) return ''
  const f = (x, d = 1) => (x == null ? '–' : x.toFixed(d))
  if (scenario === 'floors')
    return Object.entries(m)
      .map(([db, r]) => `${db} ins ${f(r.insert.perSec, 0)}/s upd ${f(r.update.perSec, 0)}/s`)
      .join(', ')
  if (scenario === 'bulk')
    return `one by one ${f(m.single, 0)}/s, enqueueMany ${f(m.bulk, 0)}/s, ${f(m.ratio)}×`
  if (scenario === 'enqueue') return `p50 ${f(m.p50, 2)} ms, ${f(m.perSec, 0)}/s`
  if (scenario.startsWith('latency')) return `p50 ${f(m.p50)} ms p95 ${f(m.p95)} ms lost ${m.lost}`
  if (scenario === 'drain') return `${drainLine(m)}, RSS ${f(m.maxRss / 2 ** 20, 0)} MB`
  if (scenario === 'depth')
    return `populate ${f(m.populateSeconds)} s, drain ${drainLine(m.drain)}, enqueue p50 ${f(m.enqueue.p50, 2)} ms`
  return ''
}

async function main() {
  const options = readOptions()
  planRound(0, options) // a bad --only fails here, before anything runs
  snapshotPackage(options.dist)
  const started = now()
  const loadAtStart = (await import('node:os')).loadavg()[0]
  if (loadAtStart > 1)
    console.warn(
      `load average is ${loadAtStart.toFixed(1)}: other work on this machine will distort the figures`,
    )
  const records = []
  for (let round = 0; round < options.sizes.rounds; round++) {
    for (const step of planRound(round, options)) {
      const t = now()
      const record = { round, scenario: step.scenario, setting: step.setting, system: step.system }
      try {
        record.metrics = await step.run()
      } catch (err) {
        record.error = err.message
      }
      record.seconds = (now() - t) / 1000
      records.push(record)
      const what = [step.scenario, step.setting, step.system].filter(Boolean).join(' ')
      const outcome = record.error
        ? `ERROR ${record.error}`
        : headline(step.scenario, record.metrics)
      console.log(`[round ${round + 1}] ${what} (${record.seconds.toFixed(1)} s): ${outcome}`)
    }
  }
  const totalSeconds = (now() - started) / 1000
  const machine = { ...(await machineInfo()), loadAtStart }
  const run = { date: new Date().toISOString(), totalSeconds, options, machine, records }
  await fs.mkdir(new URL('./results/', import.meta.url), { recursive: true })
  await fs.writeFile(RESULTS, JSON.stringify(run, null, 1))
  console.log(
    `done in ${(totalSeconds / 60).toFixed(1)} min; raw results in bench/results/latest.json`,
  )
  const summary = summarize(run)
  const met = summary.targets.filter((t) => t.met === true).length
  const missed = summary.targets.filter((t) => t.met === false).length
  const notRun = summary.targets.length - met - missed
  console.log(
    `\ntargets (issue 9; drains at steady state): ${met} met, ${missed} missed, ${notRun} not run`,
  )
  for (const line of targetLines(summary.targets)) console.log(line)
  if (options.writeDocs) console.log(`\nwrote ${await writeReport(run, summary)}`)
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof UsageError ? `${err.message}\n\n${HELP}` : err)
    process.exit(1)
  },
)
