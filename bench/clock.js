// A wall clock with sub-millisecond resolution that agrees across processes:
// performance.timeOrigin is the wall-clock start of this process, so
// timeOrigin + now() can be compared between the enqueuer and a worker child.

export function now() {
  return performance.timeOrigin + performance.now()
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
