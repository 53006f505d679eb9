// The `main` that daemonize2 runs inside the detached daemon. It is required
// synchronously by daemonize2's wrapper, which reports only synchronous
// failures, so everything that can fail happens asynchronously here, is logged
// to the uid's log file, and ends the process; `start` watches for that.
import { parseArgs } from 'node:util'

import { parseCommandLine } from './args.js'
import { describe, runWorker, timestamp } from './foreground.js'
import { readHostConfig } from './host-config.js'
import { redirectOutputTo } from './log-file.js'
import { removePidfileOf } from './pidfile.js'
import { workerName } from './worker-name.js'

const { values } = parseArgs({
  args: process.argv.slice(2),
  strict: false,
  allowPositionals: true,
  options: {
    uid: { type: 'string' },
    config: { type: 'string' },
    'pid-dir': { type: 'string' },
    log: { type: 'string' },
  },
})
const uid = Number(values.uid)
const configPath = String(values.config)
const pidDir = String(values['pid-dir'])
redirectOutputTo(String(values.log))

// Whatever way the daemon ends, it leaves no pidfile naming a dead process.
process.on('exit', () => removePidfileOf(pidDir, uid, process.pid))
process.on('uncaughtException', (error) => {
  console.error(`${timestamp()} async.${uid}: crashed: ${describe(error)}`)
  process.exit(1)
})

async function main() {
  const workerFlagArgs = process.argv
    .slice(2)
    .filter((arg) => /^--(sleep|concurrency|queues|metrics-port|metrics-host)=/.test(arg))
  const { flags } = parseCommandLine(workerFlagArgs)
  await runWorker({
    config: readHostConfig(configPath),
    flags,
    name: workerName(uid),
    uid,
    repeated: 'ignore-term',
  })
}

main().catch((error: unknown) => {
  console.error(`${timestamp()} async.${uid}: failed to start: ${describe(error)}`)
  process.exit(1)
})
