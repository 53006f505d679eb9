// The targets of issue 5, each evaluated on the medians of one run:
// { target, subject, measured, reference, ratio, met } with the ratio
// oriented as written in the issue (measured / reference).

const DIALECTS = [
  ['sa-sqlite', 'sqlite', 'SQLite'],
  ['sa-postgres', 'postgres', 'PostgreSQL'],
  ['sa-mariadb', 'mariadb', 'MariaDB'],
]
const PEERS = ['pg-boss', 'graphile', 'bullmq']
const DRAIN = ['1x1', '1x10', '2x10']
const FEW_MS = 5

const ms = (x) => (x == null ? null : `${x.toFixed(2)} ms`)
const rate = (x) => (x == null ? null : `${Math.round(x)} /s`)
const MB = (x) => (x == null ? null : `${Math.round(x / 2 ** 20)} MB`)

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

function enqueueTargets(a) {
  const out = []
  for (const [sys, db, name] of DIALECTS) {
    out.push(
      row(
        'enqueue p50 ≤ 1.5× INSERT floor p50',
        name,
        a.get('enqueue', null, sys)?.p50,
        a.get('floors')?.[db]?.insert.p50,
        ms,
        (r) => r <= 1.5,
      ),
    )
  }
  for (const peer of ['pg-boss', 'graphile']) {
    out.push(
      row(
        `enqueue p50 on PostgreSQL < ${peer}`,
        'PostgreSQL',
        a.get('enqueue', null, 'sa-postgres')?.p50,
        a.get('enqueue', null, peer)?.p50,
        ms,
        (r) => r < 1,
      ),
    )
  }
  return out
}

// The better of the batched and the default mode at this setting.
function batchedOrDefault(a, setting, sys) {
  const batched = a.get('drain', setting, `${sys}-batched`)?.perSec
  const plain = a.get('drain', setting, sys)?.perSec
  return batched != null && (plain == null || batched >= plain)
    ? { value: batched, mode: 'batched mode' }
    : { value: plain, mode: 'default mode' }
}

function drainTargets(a) {
  const out = []
  for (const setting of DRAIN) {
    for (const peer of ['graphile', 'pg-boss']) {
      out.push(
        row(
          `drain ${setting} on PostgreSQL > ${peer} (default modes)`,
          'PostgreSQL',
          a.get('drain', setting, 'sa-postgres')?.perSec,
          a.get('drain', setting, peer)?.perSec,
          rate,
          (r) => r > 1,
        ),
      )
    }
    const pgBatched = batchedOrDefault(a, setting, 'sa-postgres')
    out.push(
      row(
        `drain ${setting}, batched: ours > graphile-worker batched`,
        `PostgreSQL (${pgBatched.mode})`,
        pgBatched.value,
        a.get('drain', setting, 'graphile-batched')?.perSec,
        rate,
        (r) => r > 1,
      ),
    )
    for (const [sys, db, name] of DIALECTS.filter(([s]) => s !== 'sa-postgres')) {
      const best = batchedOrDefault(a, setting, sys)
      out.push(
        row(
          `drain ${setting} ≥ UPDATE floor`,
          `${name} (${best.mode})`,
          best.value,
          a.get('floors')?.[db]?.update.perSec,
          rate,
          (r) => r >= 1,
        ),
      )
    }
  }
  return out
}

function latencyTargets(a, sizes) {
  const out = [
    row(
      'latency p50 on PostgreSQL ≤ graphile-worker',
      'PostgreSQL',
      a.get('latency', null, 'sa-postgres')?.p50,
      a.get('latency', null, 'graphile')?.p50,
      ms,
      (r) => r <= 1,
    ),
  ]
  for (const [sys, , name] of DIALECTS.filter(([s]) => s !== 'sa-postgres')) {
    out.push(
      row(
        'latency p50 ≤ half the poll interval',
        name,
        a.get('latency', null, sys)?.p50,
        sizes.pollIntervalMs / 2,
        ms,
        (r) => r <= 1,
      ),
    )
  }
  for (const [sys, , name] of DIALECTS) {
    out.push(
      row(
        `latency p50, worker in the enqueuing process ≤ ${FEW_MS} ms`,
        name,
        a.get('latency-inproc', null, sys)?.p50,
        FEW_MS,
        ms,
        (r) => r <= 1,
      ),
    )
  }
  return out
}

// `same`: medians of the rounds that ran depth, so both sides saw the same conditions.
function depthTargets(a, same) {
  const out = []
  for (const [sys, , name] of DIALECTS) {
    const d = a.get('depth', null, sys)
    out.push(
      row(
        'depth: drain 1x10 ≥ 90% of empty table',
        name,
        d?.drain?.perSec,
        same.get('drain', '1x10', sys)?.perSec,
        rate,
        (r) => r >= 0.9,
      ),
    )
    out.push(
      row(
        'depth: enqueue p50 ≤ 110% of empty table',
        name,
        d?.enqueue?.p50,
        same.get('enqueue', null, sys)?.p50,
        ms,
        (r) => r <= 1.1,
      ),
    )
  }
  return out
}

export function peakRss(a, system) {
  const values = DRAIN.map((s) => a.get('drain', s, system)?.maxRss).filter((v) => v != null)
  return values.length ? Math.max(...values) : null
}

function rssTargets(a) {
  const peers = PEERS.map((p) => peakRss(a, p)).filter((v) => v != null)
  const lightest = peers.length ? Math.min(...peers) : null
  return DIALECTS.map(([sys, , name]) =>
    row('worker peak RSS ≤ lightest peer', name, peakRss(a, sys), lightest, MB, (r) => r <= 1),
  )
}

export function evaluateTargets(a, sizes, same = a) {
  return [
    ...enqueueTargets(a),
    ...drainTargets(a),
    ...latencyTargets(a, sizes),
    ...depthTargets(a, same),
    ...rssTargets(a),
  ]
}
