// The targets of issue 9, each evaluated on the medians of one run:
// { target, subject, measured, reference, ratio, met } with the ratio
// measured ÷ reference, tested as the issue writes it. Drain targets read the
// steady-state figures (after warm-up; the cold-start ones are reported
// beside them but not judged).

const DIALECTS = [
  ['sa-sqlite', 'sqlite', 'SQLite'],
  ['sa-postgres', 'postgres', 'PostgreSQL'],
  ['sa-mariadb', 'mariadb', 'MariaDB'],
]
const DRAIN = ['1x1', '1x10', '2x10']
const SAME_PROCESS_MS = 5
const RSS_ALLOWANCE = 10 * 2 ** 20
// The setting our worker's memory is read at, and its baseline runs at.
export const RSS_SETTING = '1x10'

const ms = (x) => (x == null ? null : `${x.toFixed(2)} ms`)
const rate = (x) => (x == null ? null : `${Math.round(x).toLocaleString('en-US')} /s`)
const MB = (x) => (x == null ? null : `${Math.round(x / 2 ** 20)} MB`)
const setting = (s) => s.replace('x', ' × ')

function row(target, subject, measured, reference, fmt, test) {
  if (measured == null || reference == null) {
    return {
      target,
      subject,
      measured: fmt(measured) ?? 'not run',
      reference: fmt(reference) ?? 'not run',
      ratio: null,
      met: null,
    }
  }
  const ratio = measured / reference
  return {
    target,
    subject,
    measured: fmt(measured),
    reference: fmt(reference),
    ratio,
    met: test(ratio),
  }
}

export const steadyRate = (a, s, system) => a.get('drain', s, system)?.steady?.perSec

function drainTargets(a) {
  const out = []
  const pg = (s, system) => steadyRate(a, s, system)
  for (const s of DRAIN) {
    const subject = `PostgreSQL ${setting(s)}`
    out.push(
      row(
        'drain, default mode ≥ 1.0× graphile-worker (no-op)',
        subject,
        pg(s, 'sa-postgres'),
        pg(s, 'graphile'),
        rate,
        (r) => r >= 1,
      ),
      row(
        'drain, default mode ≥ 1.5× graphile-worker (same work)',
        subject,
        pg(s, 'sa-postgres'),
        pg(s, 'graphile-same'),
        rate,
        (r) => r >= 1.5,
      ),
      row(
        'drain, batched mode ≥ 1.0× graphile-worker batched',
        subject,
        pg(s, 'sa-postgres-batched'),
        pg(s, 'graphile-batched'),
        rate,
        (r) => r >= 1,
      ),
    )
  }
  for (const [system, db, name] of DIALECTS.filter(([sys]) => sys !== 'sa-postgres')) {
    for (const s of DRAIN) {
      out.push(
        row(
          'drain, batched mode ≥ 1.0× UPDATE floor',
          `${name} ${setting(s)}`,
          steadyRate(a, s, `${system}-batched`),
          a.get('floors')?.[db]?.update.perSec,
          rate,
          (r) => r >= 1,
        ),
      )
    }
  }
  return out
}

function latencyTargets(a) {
  return [
    row(
      'start latency p50 ≤ 1.0× graphile-worker',
      'PostgreSQL',
      a.get('latency', null, 'sa-postgres')?.p50,
      a.get('latency', null, 'graphile')?.p50,
      ms,
      (r) => r <= 1,
    ),
    ...DIALECTS.map(([system, , name]) =>
      row(
        `start latency p50, worker in the enqueuing process ≤ ${SAME_PROCESS_MS} ms`,
        name,
        a.get('latency-inproc', null, system)?.p50,
        SAME_PROCESS_MS,
        ms,
        (r) => r <= 1,
      ),
    ),
  ]
}

function enqueueTargets(a) {
  return DIALECTS.map(([system, db, name]) =>
    row(
      'enqueue p50 ≤ 1.5× INSERT floor p50',
      name,
      a.get('enqueue', null, system)?.p50,
      a.get('floors')?.[db]?.insert.p50,
      ms,
      (r) => r <= 1.5,
    ),
  )
}

// `same`: medians of the rounds that ran depth, so both sides saw the same conditions.
function depthTargets(a, same, sizes) {
  const rows = `${sizes.depthFinished.toLocaleString('en-US')} finished + ${sizes.depthFuture.toLocaleString('en-US')} future rows`
  return DIALECTS.flatMap(([system, , name]) => {
    const d = a.get('depth', null, system)
    return [
      row(
        `${rows}: drain 1 × 10 ≥ 0.9× empty table`,
        name,
        d?.drain?.steady?.perSec,
        steadyRate(same, '1x10', system),
        rate,
        (r) => r >= 0.9,
      ),
      row(
        `${rows}: enqueue p50 ≤ 1.1× empty table`,
        name,
        d?.enqueue?.p50,
        same.get('enqueue', null, system)?.p50,
        ms,
        (r) => r <= 1.1,
      ),
    ]
  })
}

/** Our worker's and its baseline's peak RSS at RSS_SETTING, and what ours adds. */
export function workerMemory(a, dialect) {
  const ours = a.get('drain', RSS_SETTING, `sa-${dialect}`)?.maxRss ?? null
  const bare = a.get('drain', RSS_SETTING, `bare-${dialect}`)?.maxRss ?? null
  return { ours, bare, over: ours != null && bare != null ? ours - bare : null }
}

function rssTargets(a) {
  return DIALECTS.map(([, db, name]) => {
    const { ours, bare, over } = workerMemory(a, db)
    const t = row(
      'worker peak RSS ≤ 10 MB over Sequelize + driver + models',
      `${name} ${setting(RSS_SETTING)}`,
      over,
      RSS_ALLOWANCE,
      MB,
      (r) => r <= 1,
    )
    if (over != null) t.measured = `${MB(ours)} − ${MB(bare)} = ${MB(over)}`
    return t
  })
}

// Issue 11: flow control within 20% of the plain figures on each dialect.
function flowTargets(a) {
  return DIALECTS.flatMap(([system, , name]) => [
    row(
      'enqueue p50 with unique: true ≤ 1.2× plain (issue 11)',
      name,
      a.get('enqueue', null, `${system}-unique`)?.p50,
      a.get('enqueue', null, system)?.p50,
      ms,
      (r) => r <= 1.2,
    ),
    ...['keys100', 'hotkey'].map((flow) =>
      row(
        `drain 1 × 10 with ${flow === 'keys100' ? 'a key over 100 keys' : 'one hot key'} ≥ 0.8× plain (issue 11)`,
        name,
        steadyRate(a, '1x10', `${system}-${flow}`),
        steadyRate(a, '1x10', system),
        rate,
        (r) => r >= 0.8,
      ),
    ),
  ])
}

// Issue 12: a bulk enqueue at least 10× the rate of one-by-one enqueues.
function bulkTargets(a, sizes) {
  const count = (sizes?.bulkCount ?? 10_000).toLocaleString('en-US')
  return DIALECTS.map(([system, , name]) => {
    const m = a.get('bulk', null, system)
    return row(
      `enqueueMany ≥ 10× one-by-one enqueues, ${count} tasks (issue 12)`,
      name,
      m?.bulk,
      m?.single,
      rate,
      (r) => r >= 10,
    )
  })
}

export function evaluateTargets(a, sizes, same = a) {
  return [
    ...bulkTargets(a, sizes),
    ...flowTargets(a),
    ...drainTargets(a),
    ...latencyTargets(a),
    ...enqueueTargets(a),
    ...depthTargets(a, same, sizes),
    ...rssTargets(a),
  ]
}

/** The targets as console lines, for the end of a run. */
export function targetLines(targets) {
  const status = (t) => (t.met == null ? 'not run' : t.met ? 'met' : 'MISSED')
  const ratio = (t) => (t.ratio == null ? '–' : `${t.ratio.toFixed(2)}×`)
  return targets.map(
    (t) =>
      `${status(t).padEnd(7)} ${ratio(t).padStart(7)}  ${t.target} · ${t.subject}: ${t.measured} vs ${t.reference}`,
  )
}
