// Writes docs/benchmarks.md and bench/results/benchmarks.svg from one run. The text
// between the NOTES markers is written by hand and kept across runs.
import fs from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { SYSTEMS } from '../systems/index.js'
import { aggregate } from './aggregate.js'
import { evaluateTargets } from './targets.js'
import { barChart } from './chart.js'
import {
  floorsTable,
  enqueueTable,
  drainTable,
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
  const labels = Object.fromEntries(Object.entries(SYSTEMS).map(([k, v]) => [k, v.label]))
  const by = (get) => Object.fromEntries(Object.keys(SYSTEMS).map((s) => [s, get(s) ?? null]))
  return {
    labels,
    groups: [
      ...['1x1', '1x10', '2x10'].map((d) => ({
        label: `drain ${d.replace('x', ' × ')}`,
        values: by((s) => a.get('drain', d, s)?.perSec),
      })),
      {
        label: 'drain 1 × 10, deep table',
        values: by((s) => a.get('depth', null, s)?.drain?.perSec),
      },
      { label: 'enqueues/s', values: by((s) => a.get('enqueue', null, s)?.perSec) },
    ],
  }
}

function settings(run) {
  const z = run.options.sizes
  const n = (x) => x.toLocaleString('en-US')
  return [
    `- ${z.rounds} interleaved round(s) (every system once per scenario per round, order rotated each round); figures are medians over rounds.${run.options.quick ? ' **Quick run (`--quick`): reduced sizes, not comparable with a full run.**' : ''}`,
    `- enqueue: ${n(z.enqueueCount)} sequential single enqueues after 50 warm-up calls; sequelize-async calls \`order.async('noop')\`.`,
    `- drain: ${n(z.drainCount)} tasks enqueued up front (bulk), worker processes × concurrency ${z.drainSettings.map(([p, c]) => `${p} × ${c}`).join(', ')}; tasks/s from the start signal to the last completion confirmed in the store; cut at ${z.drainCapMs / 1000} s (⏱ = cut: completed / elapsed).`,
    `- latency: 1 worker process × concurrency 1, idle; one enqueue every ${z.latencyEveryMs} ms, ${n(z.latencyCount)} times; enqueue call → handler start.`,
    `- depth: ${n(z.depthFinished)} finished + ${n(z.depthFuture)} far-future (1 year) tasks bulk-inserted, analyzed and written out (PostgreSQL \`CHECKPOINT\`, InnoDB dirty pages flushed, SQLite WAL checkpoint; counted in populate s), then the drain (1 × 10) and the enqueue scenario again; ${z.depthRounds === z.rounds ? 'every round' : `first ${z.depthRounds} round(s) only`}${z.depthFinished < 1_000_000 ? ' (the issue asks for 1,000,000 of each; writing them costs 4–5 minutes for all systems, so the default is smaller to fit 15 minutes; `--depth=1000000` runs the full size)' : ''}.`,
    `- floors: ${n(z.floorCount)} single-row INSERT and UPDATE commits from one connection (autocommit), same durability settings as the systems (PostgreSQL \`synchronous_commit=on\`, InnoDB \`innodb_flush_log_at_trx_commit=1\`, SQLite WAL with \`synchronous=FULL\`).`,
    `- poll interval ${z.pollIntervalMs} ms for every system that polls (sequelize-async \`pollInterval\`, graphile-worker \`pollInterval\`, pg-boss \`pollingIntervalSeconds\`); BullMQ blocks on Redis instead.`,
    '- Each system has its own database, dropped and recreated before every step. Per-task log lines are off in every system.',
    '- Batched modes (drain only): sequelize-async `createWorker({ batchCompletions: true, prefetch: 100 })` (claims up to 100 tasks ahead and records successes that finish together in one statement); graphile-worker `localQueue.size = 100`, `completeJobBatchDelay = 0`. pg-boss: default `batchSize` 1, one `work()` loop per unit of concurrency.',
  ].join('\n')
}

function machine(run) {
  const m = run.machine
  const pk = Object.entries(m.packages)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return [
    `- ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- Node ${m.node}; PostgreSQL ${m.servers.postgres}; MariaDB ${m.servers.mariadb}; SQLite ${m.servers.sqlite}; Redis ${m.servers.redis}`,
    `- ${pk}; sequelize-async build under test: \`${run.options.dist ?? 'dist/ of the repository'}\``,
    `- Run of ${run.date}, ${(run.totalSeconds / 60).toFixed(1)} minutes in all; 1-minute load average ${m.loadAtStart?.toFixed(1) ?? '?'} at the start, ${m.loadAverage?.toFixed(1) ?? '?'} at the end (the benchmark's own processes)${(m.loadAtStart ?? 0) > 1 ? ' (**other work was running on the machine when it started: figures are noisier than usual**)' : ''}.`,
  ].join('\n')
}

export async function writeReport(run) {
  const a = aggregate(run.records)
  const same = aggregate(run.records.filter((r) => r.round < run.options.sizes.depthRounds))
  const targets = evaluateTargets(a, run.options.sizes, same)
  const met = targets.filter((t) => t.met === true).length
  const missed = targets.filter((t) => t.met === false).length
  await fs.writeFile(
    SVG,
    barChart({
      title: 'Throughput per system and scenario (medians, higher is better)',
      ...chartGroups(a),
    }),
  )
  const doc = `# Benchmarks

sequelize-async against pg-boss, graphile-worker and BullMQ on the same
machine and the same local servers, no-op tasks. Reproduce with

\`\`\`sh
npm run build                      # at the repository root: the package under test
cd bench && npm ci && npm run bench  # about 15 minutes; rewrites this file
\`\`\`

or \`npm run bench\` at the repository root, which runs the same three steps.

\`npm run bench -- --quick\` is a one-minute trial with small sizes;
\`--only=sa-postgres,graphile\` or \`--only=drain,floors\` runs a subset (system and
scenario names from \`bench/systems/index.js\` and \`bench/plan.js\`). The peers
are installed only by \`bench/package.json\`, never by users or CI. Raw
results of the last run: \`bench/results/latest.json\` (not committed).

## Machine and versions

${machine(run)}

## Settings

${settings(run)}

## Results

![tasks/s per system and scenario](../bench/results/benchmarks.svg)

### Floors: what one connection can commit

${floorsTable(a)}

### enqueue: one call as a web request makes it

${enqueueTable(a)}

### drain: worker processes × concurrency

${drainTable(a)}

### latency: enqueue → handler start, idle worker

${latencyTable(a)}

### depth: ${(run.options.sizes.depthFinished + run.options.sizes.depthFuture).toLocaleString('en-US')} rows of history and future in the table

${depthTable(a, same)}

"vs empty" compares with the empty-table figures of the same round(s).

## Targets (issue 5)

${met} met, ${missed} missed. Ratios are measured ÷ reference.

${targetsTable(targets)}

## Notes

${NOTES_START}
${await keptNotes()}
${NOTES_END}
`
  await fs.writeFile(DOC, doc)
  return fileURLToPath(DOC)
}
