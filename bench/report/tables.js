// The result tables of docs/benchmarks.md, as markdown, from the medians.
import { SYSTEMS, systemsOf } from '../systems/index.js'
import { RSS_SETTING, workerMemory } from './targets.js'

const DRAIN = ['1x1', '1x10', '2x10']
const f = (x, d = 2) => (x == null ? '–' : x.toFixed(d))
const r = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'))
const mb = (x) => (x == null ? '–' : `${Math.round(x / 2 ** 20)}`)
const setting = (s) => s.replace('x', ' × ')

// `left`: how many leading columns hold text (aligned left); the rest are numbers.
function table(head, rows, left = 1) {
  if (rows.length === 0) return '_not run_'
  const align = head.map((h, i) => (i < left ? '---' : '---:'))
  return [
    `| ${head.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((c) => `| ${c.join(' | ')} |`),
  ].join('\n')
}

const present = (a, scenario, setting) =>
  Object.keys(SYSTEMS).filter(
    (s) => a.get(scenario, setting, s) || a.errors(scenario, setting, s).length,
  )
const label = (s) => SYSTEMS[s].label
const failedRounds = (a, scenario, setting, s) => a.errors(scenario, setting, s).length
const failed = (a, scenario, setting, s) =>
  failedRounds(a, scenario, setting, s)
    ? ` (${failedRounds(a, scenario, setting, s)} round(s) failed)`
    : ''

export function floorsTable(a) {
  const fl = a.get('floors')
  if (!fl) return '_not run_'
  const names = {
    postgres: 'PostgreSQL',
    mariadb: 'MariaDB',
    sqlite: 'SQLite (WAL)',
    redis: 'Redis (SET, no commit)',
  }
  return table(
    ['database', 'INSERT commits/s', 'INSERT p50 ms', 'UPDATE commits/s', 'UPDATE p50 ms'],
    Object.entries(names)
      .filter(([k]) => fl[k])
      .map(([k, n]) => [
        n,
        r(fl[k].insert.perSec),
        f(fl[k].insert.p50),
        r(fl[k].update.perSec),
        f(fl[k].update.p50),
      ]),
  )
}

export function enqueueTable(a) {
  return table(
    ['system', 'p50 ms', 'p95 ms', 'p99 ms', 'enqueues/s'],
    present(a, 'enqueue').map((s) => {
      const m = a.get('enqueue', null, s)
      return [
        label(s) + failed(a, 'enqueue', null, s),
        f(m?.p50),
        f(m?.p95),
        f(m?.p99),
        r(m?.perSec),
      ]
    }),
  )
}

export function bulkTable(a) {
  return table(
    ['system', 'tasks', 'one by one /s', 'enqueueMany /s', 'ratio'],
    present(a, 'bulk').map((s) => {
      const m = a.get('bulk', null, s)
      return [
        label(s) + failed(a, 'bulk', null, s),
        r(m?.count),
        r(m?.single),
        r(m?.bulk),
        m?.ratio == null ? '–' : `${m.ratio.toFixed(1)}×`,
      ]
    }),
  )
}

/** A system's highest peak RSS over the drain settings it ran. */
export function peakRss(a, system) {
  const values = DRAIN.map((s) => a.get('drain', s, system)?.maxRss).filter((v) => v != null)
  return values.length ? Math.max(...values) : null
}

// † the drain finished before `steadyMs` of steady state: measured to completion.
const steadyCell = (m) =>
  m?.steady ? `${r(m.steady.perSec)}${m.steady.toCompletion ? ' †' : ''}` : '–'
// ✓ the drain finished within the cold window: start signal → completion.
const coldCell = (m) => (m?.cold ? `${r(m.cold.perSec)}${m.cold.cut ? '' : ' ✓'}` : '–')

function drainRows(a, cell, extra = () => []) {
  const ran = systemsOf('queue').filter((s) =>
    DRAIN.some((d) => a.get('drain', d, s) || failedRounds(a, 'drain', d, s)),
  )
  return ran.map((s) => [
    label(s),
    ...DRAIN.map((d) => cell(a.get('drain', d, s)) + (failedRounds(a, 'drain', d, s) ? ' ✗' : '')),
    ...extra(s),
  ])
}

export function steadyDrainTable(a) {
  return table(
    ['system', ...DRAIN.map((d) => `${setting(d)} tasks/s`), 'peak RSS MB'],
    drainRows(a, steadyCell, (s) => [mb(peakRss(a, s))]),
  )
}

export function coldDrainTable(a) {
  return table(['system', ...DRAIN.map((d) => `${setting(d)} tasks/s`)], drainRows(a, coldCell))
}

export function memoryTable(a) {
  const rows = [
    ['sqlite', 'SQLite'],
    ['postgres', 'PostgreSQL'],
    ['mariadb', 'MariaDB'],
  ]
    .map(([db, name]) => ({ name, db, m: workerMemory(a, db) }))
    .filter(({ m }) => m.ours != null || m.bare != null)
    .map(({ name, db, m }) => [
      name,
      mb(m.ours),
      mb(m.bare),
      m.over == null ? '–' : `${m.over >= 0 ? '+' : ''}${mb(m.over)}`,
      r(a.get('drain', RSS_SETTING, `bare-${db}`)?.steady?.perSec),
    ])
  return table(
    [
      'dialect',
      `sequelize-async worker (${setting(RSS_SETTING)}) MB`,
      'Sequelize + driver + Order, no queue MB',
      'difference MB',
      'baseline findByPk/s',
    ],
    rows,
  )
}

export function latencyTable(a) {
  const rows = []
  for (const [scenario, where] of [
    ['latency', 'worker process'],
    ['latency-inproc', 'same process'],
  ]) {
    for (const s of present(a, scenario)) {
      const m = a.get(scenario, null, s)
      rows.push([
        `${label(s)}, ${where}${failed(a, scenario, null, s)}`,
        f(m?.p50, 1),
        f(m?.p95, 1),
        f(m?.p99, 1),
        m ? String(Math.round(m.lost)) : '–',
      ])
    }
  }
  return table(['system', 'p50 ms', 'p95 ms', 'p99 ms', 'not started in time'], rows)
}

const vs = (x, base) => (x != null && base ? `${f(x / base)}×` : '–')

// `same`: medians over only the rounds that ran depth, for the "vs empty" columns.
export function depthTable(a, same = a) {
  return table(
    [
      'system',
      'populate s',
      'drain 1 × 10 steady tasks/s',
      'vs empty',
      'cold tasks/s',
      'vs empty',
      'enqueue p50 ms',
      'vs empty',
    ],
    present(a, 'depth').map((s) => {
      const d = a.get('depth', null, s)
      const e = same.get('drain', '1x10', s)
      const q = same.get('enqueue', null, s)?.p50
      return [
        label(s) + failed(a, 'depth', null, s),
        f(d?.populateSeconds, 1),
        steadyCell(d?.drain),
        vs(d?.drain?.steady?.perSec, e?.steady?.perSec),
        coldCell(d?.drain),
        vs(d?.drain?.cold?.perSec, e?.cold?.perSec),
        f(d?.enqueue?.p50),
        vs(d?.enqueue?.p50, q),
      ]
    }),
  )
}

export function targetsTable(rows) {
  const status = (t) => (t.met == null ? 'not run' : t.met ? '**met**' : '**missed**')
  return table(
    ['target', 'subject', 'measured', 'reference', 'ratio', 'status'],
    rows.map((t) => [
      t.target,
      t.subject,
      t.measured,
      t.reference,
      t.ratio == null ? '–' : `${t.ratio.toFixed(2)}×`,
      status(t),
    ]),
    2,
  )
}
