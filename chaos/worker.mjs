// One chaos worker process: the built package (dist/index.js) draining the
// run's database with a short lease. Its log lines go to stdout/stderr (the
// driver points them at a file); its executions go to exec-<pid>.jsonl.
// SIGTERM stops it gracefully (stop claiming, finish or release, exit 0).
import { join } from 'node:path'
import { installAsync, currentTask } from './package.mjs'
import { connect } from './db.mjs'
import { chaosTarget } from './tasks.mjs'

const env = process.env
const name = `chaos-${env.CHAOS_SLOT}-${process.pid}`
const sequelize = connect(JSON.parse(env.CHAOS_DB), { pool: { max: 8 } })
const Chaos = chaosTarget(join(env.CHAOS_DIR, `exec-${process.pid}.jsonl`), currentTask, name)
const tasks = installAsync(sequelize, {
  classes: { Chaos },
  leaseMs: Number(env.CHAOS_LEASE_MS),
  // A few interruptions are expected (kills); failing a task for that would
  // hide the re-run the test wants to see. The cap itself is tested in
  // test/reliability.test.ts.
  maxInterruptions: 20,
  backoff: (attempt) => 100 * attempt,
  // Behind a pooler in transaction mode (cluster/run.mjs --engine=pgbouncer).
  ...(env.CHAOS_LISTEN_URL ? { listenUrl: env.CHAOS_LISTEN_URL } : {}),
  // PgBouncer 1.18 in transaction mode keeps no prepared statements.
  ...(env.CHAOS_PREPARED_STATEMENTS === 'false' ? { preparedStatements: false } : {}),
})
const worker = tasks.createWorker({
  concurrency: Number(env.CHAOS_CONCURRENCY),
  pollInterval: 200,
  queues: ['*'],
  shutdownTimeout: 5000,
  name,
})

let stopping = false
process.on('SIGTERM', async () => {
  if (stopping) process.exit(1) // a second signal: exit at once
  stopping = true
  const started = Date.now()
  await worker.stop()
  await sequelize.close().catch(() => undefined)
  console.log(`STOPPED ${name} in ${Date.now() - started} ms ${JSON.stringify(worker.stats)}`)
  process.exit(0)
})

// The driver died (Ctrl-C, crash): stop as if told to, not linger as an orphan.
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'))

await worker.start()
console.log(`READY ${name}`)
process.send?.('ready')
