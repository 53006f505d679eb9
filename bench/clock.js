// A wall clock with sub-millisecond resolution that agrees across processes:
// the wall time at an anchor plus the monotonic time since it, so
// timestamps can be compared between the enqueuer and a worker child. When
// the wall clock is stepped (a VM's time sync moved it 3.5 s during one
// run, and every latency after it read 3.5 s), the anchor follows it on the
// next call, in every process alike; a process anchored only at its start
// (performance.timeOrigin) would keep the old time for the rest of its life.

let base = Date.now() - performance.now()

export function now() {
  const t = base + performance.now()
  // Date.now() has 1 ms steps: more than 2 ms apart means the clock moved.
  const wall = Date.now()
  if (Math.abs(wall - t) > 2) {
    base = wall - performance.now()
    return wall
  }
  return t
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
