// Writes docs/benchmarks.md and bench/results/benchmarks.svg from one run. The text
// between the NOTES markers is written by hand and kept across runs.
import fs from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { SYSTEMS, systemsOf } from '../systems/index.js'
import { aggregate } from './aggregate.js'
import { evaluateTargets } from './targets.js'
import { barChart } from './chart.js'
import { machineSection, settingsSection } from './settings.js'
import {
  floorsTable,
  enqueueTable,
  bulkTable,
  steadyDrainTable,
  coldDrainTable,
  memoryTable,
  latencyTable,
  depthTable,
  targetsTable,
} from './tables.js'

const DOC = new URL('../../docs/benchmarks.md', import.meta.url)
// The chart lives beside the results, in bench/ (docs/ holds only this page).
const SVG = new URL('../results/benchmarks.svg', import.meta.url)
const NOTES_START = '<!-- notes:start (kept by bench/report/write.js) -->'
const NOTES_END = '<!-- notes:end -->'

async function keptNotes() {
  const old = await fs.readFile(DOC, 'utf8').catch(() => '')
  const i = old.indexOf(NOTES_START)
  const j = old.indexOf(NOTES_END)
  return i >= 0 && j > i ? old.slice(i + NOTES_START.length, j).trim() : '_No notes yet._'
}

function chartGroups(a) {
  const queues = systemsOf('queue')
  const labels = Object.fromEntries(queues.map((s) => [s, SYSTEMS[s].label]))
  const by = (get) => Object.fromEntries(queues.map((s) => [s, get(s) ?? null]))
  return {
    labels,
    groups: [
      ...['1x1', '1x10', '2x10'].map((d) => ({
        label: `drain ${d.replace('x', ' × ')}`,
        values: by((s) => a.get('drain', d, s)?.steady?.perSec),
      })),
      {
        label: 'drain 1 × 10, deep table',
        values: by((s) => a.get('depth', null, s)?.drain?.steady?.perSec),
      },
      { label: 'enqueues/s', values: by((s) => a.get('enqueue', null, s)?.perSec) },
    ],
  }
}

/** Aggregates one run, evaluates its targets; what the document and the console show. */
export function summarize(run) {
  const a = aggregate(run.records)
  const same = aggregate(run.records.filter((r) => r.round < run.options.sizes.depthRounds))
  return { a, same, targets: evaluateTargets(a, run.options.sizes, same) }
}

export async function writeReport(run, { a, same, targets } = summarize(run)) {
  const met = targets.filter((t) => t.met === true).length
  const missed = targets.filter((t) => t.met === false).length
  const notRun = targets.length - met - missed
  await fs.writeFile(
    SVG,
    barChart({
      title: 'Steady-state throughput per system and scenario (medians, higher is better)',
      ...chartGroups(a),
    }),
  )
  const z = run.options.sizes
  const doc = `# Benchmarks

sequelize-async against pg-boss, graphile-worker and BullMQ on the same
machine and the same local servers, no-op tasks (and, for the two
PostgreSQL peers, "same work" tasks that load the record ours loads).
Reproduce with

\`\`\`sh
npm run build                      # at the repository root: the package under test
cd bench && npm ci && npm run bench  # about 40 minutes; rewrites this file
\`\`\`

or \`npm run bench\` at the repository root, which runs the same three steps.

\`npm run bench -- --quick\` is a short trial with small sizes and short drain
windows; \`--only=sa-postgres,graphile\` or \`--only=drain,floors\` runs a subset
(system and scenario names from \`bench/systems/index.js\` and
\`bench/plan.js\`). The peers are installed only by \`bench/package.json\`,
never by users or CI. Raw results of the last run, with each drain's
per-second timeline: \`bench/results/latest.json\` (not committed).

## Machine and versions

${machineSection(run)}

## Settings

${settingsSection(run)}

## Results

![steady-state tasks/s per system and scenario](../bench/results/benchmarks.svg)

### Floors: what one connection can commit

${floorsTable(a)}

### enqueue: one call as a web request makes it

${enqueueTable(a)}

### drain, steady state: tasks/s after warm-up (worker processes × concurrency)

${steadyDrainTable(a)}

† finished before ${z.drain.steadyMs / 1000} s of steady state: measured from warm-up to completion.

### drain, cold start: tasks/s over the first ${z.drain.coldMs / 1000} s of fresh worker processes

${coldDrainTable(a)}

✓ finished within ${z.drain.coldMs / 1000} s: start signal → completion.

### worker memory: peak RSS against Sequelize + driver + models alone

${memoryTable(a)}

### latency: enqueue → handler start, idle worker

${latencyTable(a)}

### bulk: ${z.bulkCount.toLocaleString('en-US')} tasks by \`tasks.enqueueMany()\` against one by one

${bulkTable(a)}

### depth: ${(z.depthFinished + z.depthFuture).toLocaleString('en-US')} rows of history and future in the table, not analyzed

${depthTable(a, same)}

"vs empty" compares with the empty-table figures of the same round(s).

## Targets (issue 9)

${met} met, ${missed} missed${notRun ? `, ${notRun} not run` : ''}. Ratios are measured ÷ reference; drain targets
read the steady-state figures.

${targetsTable(targets)}

## Notes

${NOTES_START}
${await keptNotes()}
${NOTES_END}
`
  await fs.writeFile(DOC, doc)
  return fileURLToPath(DOC)
}
