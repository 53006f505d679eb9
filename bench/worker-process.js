// A worker child process: prepares one system's worker (connects, loads
// modules), says "ready", starts on "go", and reports handler runs so the
// parent can time the drain. Peak RSS comes from getrusage at the end.
import { makeSystem } from './systems/index.js'
import { now } from './clock.js'

const config = JSON.parse(process.argv[2])
let count = 0
let last = 0
let reported = -1

function onRun(tag) {
  count++
  last = now()
  if (tag !== undefined && tag !== null) process.send({ type: 'run', tag, t: last })
}

function report() {
  if (count === reported) return
  reported = count
  process.send({ type: 'progress', count, last })
}

const system = await makeSystem(config.system, config.settings)
const worker = await system.prepareWorker({ concurrency: config.concurrency, onRun })
let timer

// Without its parent (killed, crashed) a worker has no one to report to.
process.on('disconnect', () => process.exit(1))
process.on('message', async (message) => {
  if (message.type === 'go') {
    timer = setInterval(report, 20)
    await worker.start()
  } else if (message.type === 'stop') {
    clearInterval(timer)
    await worker.stop()
    report()
    const maxRss = process.resourceUsage().maxRSS * 1024
    process.send({ type: 'stopped', count, last, maxRss }, () => process.exit(0))
  }
})
process.send({ type: 'ready' })
