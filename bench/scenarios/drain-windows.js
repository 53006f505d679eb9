// The two figures of a drain, from the progress samples [time, tasks done]
// taken while it ran:
//   cold:   start signal → completion (confirmed in the store), cut at
//           `coldMs` if it has not finished by then (completed / elapsed);
//   steady: from the end of warm-up to completion or the time cap.
// Both are tasks/s. `timeline` keeps the tasks done at each whole second,
// so a reader of latest.json can see where the rate settled.

/** Tasks done at time `t`, interpolated between the samples around it. */
export function doneAt(samples, t) {
  let before = samples[0]
  for (const sample of samples) {
    if (sample[0] > t) {
      const [t0, d0] = before
      const [t1, d1] = sample
      return t1 === t0 ? d1 : d0 + ((d1 - d0) * (t - t0)) / (t1 - t0)
    }
    before = sample
  }
  return before[1]
}

function cold(run, end, coldMs) {
  if (run.finished && end - run.t0 <= coldMs) {
    const seconds = (end - run.t0) / 1000
    return { perSec: run.total / seconds, seconds, tasks: run.total, cut: false }
  }
  const last = run.samples[run.samples.length - 1][0]
  const until = Math.min(run.t0 + coldMs, last)
  const tasks = doneAt(run.samples, until)
  const seconds = (until - run.t0) / 1000
  return { perSec: tasks / seconds, seconds, tasks: Math.round(tasks), cut: true }
}

function steady(run, end) {
  if (!run.warm) return null
  const [from, doneBefore] = run.warm
  const [to, doneAtEnd] = run.finished ? [end, run.total] : run.samples[run.samples.length - 1]
  if (to <= from || doneAtEnd <= doneBefore) return null
  const seconds = (to - from) / 1000
  return {
    perSec: (doneAtEnd - doneBefore) / seconds,
    seconds,
    tasks: doneAtEnd - doneBefore,
    afterSeconds: (from - run.t0) / 1000,
    toCompletion: run.finished,
  }
}

function timeline(run, end) {
  const last = run.finished ? end : run.samples[run.samples.length - 1][0]
  const out = []
  for (let t = run.t0 + 1000; t <= last; t += 1000) out.push(Math.round(doneAt(run.samples, t)))
  return out
}

/**
 * `run`: { t0, total, samples, warm: [t, done] | null, finished };
 * `end`: when the store confirmed completion (finished runs only).
 */
export function drainFigures(run, end, { coldMs }) {
  return {
    cold: cold(run, end, coldMs),
    steady: steady(run, end),
    timeline: timeline(run, end),
  }
}
