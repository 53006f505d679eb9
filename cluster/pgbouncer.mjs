// --engine=pgbouncer: PostgreSQL of our own (initdb, port 54331) behind
// PgBouncer in transaction pooling (port 64321). The web process (the
// harness's enqueues) and every worker go through PgBouncer; half the
// workers LISTEN on a direct connection (listenUrl), the other half have
// none and must fall back to probing, saying so. Then: the postgres runtime
// tests through PgBouncer, and a chaos drain whose outage restarts
// PostgreSQL behind the pooler.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { runDir, sleep, start, stopSync, waitForPort } from './daemons.mjs'
import { createDatabase, startPostgres } from './servers.mjs'
import { chaosDrain, chaosSettings, sampler } from './scenario.mjs'

const PG_PORT = 54331
const BOUNCER_PORT = 64321
const POOL = 20

function startBouncer(dir) {
  const ini = join(dir, 'pgbouncer.ini')
  writeFileSync(join(dir, 'userlist.txt'), '"postgres" ""\n')
  writeFileSync(
    ini,
    `[databases]
* = host=127.0.0.1 port=${PG_PORT}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${BOUNCER_PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'userlist.txt')}
admin_users = postgres
pool_mode = transaction
default_pool_size = ${POOL}
max_client_conn = 1000
server_reset_query =
server_login_retry = 2
ignore_startup_parameters = extra_float_digits
logfile =
pidfile =
`,
  )
  return start(dir, 'pgbouncer', '/usr/sbin/pgbouncer', [ini], { user: 'postgres' })
}

/** Rows of PgBouncer's admin console (simple protocol only, hence a bare pg.Client). */
async function admin(sql) {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: BOUNCER_PORT,
    user: 'postgres',
    database: 'pgbouncer',
  })
  c.on('error', () => undefined) // a refusal also rejects the calls below
  await c.connect()
  try {
    return (await c.query(sql)).rows
  } finally {
    await c.end()
  }
}

async function servedAgain(database, ms = 60_000) {
  const until = Date.now() + ms
  for (;;) {
    const c = new pg.Client({ host: '127.0.0.1', port: BOUNCER_PORT, user: 'postgres', database })
    c.on('error', () => undefined) // a refusal also rejects the call below
    try {
      await c.connect()
      await c.query('SELECT 1')
      return
    } catch (err) {
      if (Date.now() > until) throw new Error(`PgBouncer did not serve again: ${err.message}`)
      await sleep(200)
    } finally {
      await c.end().catch(() => undefined)
    }
  }
}

function runtimeTests(short) {
  const files = short
    ? ['test/worker.test.ts']
    : ['test/worker.test.ts', 'test/reliability.test.ts', 'test/enqueue.test.ts']
  const root = fileURLToPath(new URL('..', import.meta.url))
  const env = {
    ...process.env,
    ASYNC_TEST_POSTGRES_URL: `postgres://postgres@127.0.0.1:${BOUNCER_PORT}/postgres`,
    // PgBouncer 1.18 keeps no prepared statements in transaction mode: the
    // documented setting (docs/scaling.md), so that the server log stays clean.
    ASYNC_TEST_PREPARED_STATEMENTS: 'false',
  }
  delete env.ASYNC_TEST_MYSQL_URL
  console.log(`== runtime tests through PgBouncer: ${files.join(' ')} (postgres only)`)
  const r = spawnSync('npx', ['vitest', 'run', ...files, '-t', 'postgres'], {
    cwd: root,
    env,
    encoding: 'utf8',
  })
  const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')
  const tests = /Tests\s+(.*)\(\d+\)/.exec(out)?.[1]?.trim() ?? '?'
  for (const line of out
    .split('\n')
    .filter((l) => /FAIL|✗|×|Tests |Test Files /.test(l))
    .slice(0, 20))
    console.log(`   ${line}`)
  return { ok: r.status === 0, tests, files }
}

export async function run({ short }) {
  const dir = runDir('pgbouncer')
  const server = await startPostgres(dir, { port: PG_PORT })
  console.log(`PostgreSQL on 127.0.0.1:${PG_PORT} (data in ${server.data})`)
  let bouncer = startBouncer(dir)
  await waitForPort('127.0.0.1', BOUNCER_PORT, 30_000, 'PgBouncer')
  console.log(
    `PgBouncer on 127.0.0.1:${BOUNCER_PORT}: pool_mode = transaction, default_pool_size = ${POOL}`,
  )
  const rows = []

  const tests = runtimeTests(short)
  rows.push({
    check: `runtime tests through PgBouncer (${tests.files.length} files)`,
    ok: tests.ok,
    value: tests.tests,
  })

  const db = await createDatabase(
    'postgres',
    server.url(),
    'sa_cluster',
    (name) => `postgres://postgres@127.0.0.1:${BOUNCER_PORT}/${name}`,
  )
  const direct = server.url(db.name)
  const settings = chaosSettings(short)
  const placeWorker = (slot) => ({ env: slot % 2 === 0 ? { CHAOS_LISTEN_URL: direct } : {} })
  // The web process (chaos/driver.mjs, this process) and every worker.
  process.env.CHAOS_PREPARED_STATEMENTS = 'false'
  // The outage: PostgreSQL restarts behind PgBouncer, which stays up.
  let current = server.daemon
  const outage = async () => {
    const down = Date.now()
    stopSync(current)
    current = await server.restart()
    await waitForPort('127.0.0.1', PG_PORT, 60_000, 'PostgreSQL after restart')
    // Back for the workers only once PgBouncer logs in again: after a failed
    // login it waits server_login_retry before the next.
    await servedAgain(db.name)
    return { down, up: Date.now(), how: 'PostgreSQL fast shutdown + start behind PgBouncer' }
  }
  // Server connections the pool opened, and client connections it carried.
  let maxClients = 0
  const monitor = sampler(async () => {
    const pools = (await admin('SHOW POOLS')).filter((p) => p.database === db.name)
    const clients = pools.reduce(
      (s, p) => s + Number(p.cl_active) + Number(p.cl_waiting) + Number(p.cl_idle ?? 0),
      0,
    )
    maxClients = Math.max(maxClients, clients)
    return pools.reduce(
      (s, p) => s + Number(p.sv_active) + Number(p.sv_idle) + Number(p.sv_used),
      0,
    )
  })
  const drain = await chaosDrain('pgbouncer', db, settings, { placeWorker, outage, monitor })
  const lines = [...drain.evidence.logs.values()].flatMap((l) => l.lines)
  const woken = lines.filter((l) => / LISTEN woken by NOTIFY through listenUrl/.test(l)).length
  const fellBack = lines.filter((l) => / LISTEN unavailable .*probing/.test(l)).length
  const stats = (await admin('SHOW STATS')).find((s) => s.database === db.name) ?? {}
  const pgErrors = readFileSync(server.daemon.log, 'utf8')
    .split('\n')
    .filter(
      (l) => /ERROR:/.test(l) && /prepared statement|advisory|temporary|does not exist/.test(l),
    )
  stopSync(bouncer)
  bouncer = null

  rows.push(
    {
      check: 'chaos drain through PgBouncer (restart behind it)',
      ok: drain.ok,
      value: drain.summary,
    },
    {
      check: 'workers with listenUrl that logged "LISTEN woken … listenUrl"',
      ok: woken > 0,
      value: `${woken} worker starts`,
    },
    {
      check: 'workers without it that logged the fallback to probing',
      ok: fellBack > 0,
      value: `${fellBack} worker starts`,
    },
    {
      check: 'server log: errors from lost session state',
      ok: pgErrors.length === 0,
      value: pgErrors.length
        ? pgErrors.slice(0, 3).join(' | ')
        : '0 (with preparedStatements: false, no prepared statement, SET, advisory lock or temp table needed)',
    },
    {
      check: 'PgBouncer: client connections carried (max sampled)',
      value: `${maxClients} on ${drain.seen} server connections (max sampled)`,
    },
    {
      check: 'PgBouncer: transactions / queries served',
      value: `${stats.total_xact_count ?? '?'} / ${stats.total_query_count ?? '?'}`,
    },
  )
  return rows
}
