// --engine=patroni: etcd (client port 23791), two PostgreSQL nodes run by
// Patroni (54341, 54342; REST 58081, 58082) and HAProxy (54340) sending
// connections to whichever node Patroni's REST API calls the primary. A
// chaos drain through HAProxy; its outage SIGKILLs the leader (Patroni and
// its PostgreSQL) while the workers drain, and the replica takes over.
// First with synchronous replication (nothing acknowledged may be lost),
// then asynchronous (the last commits before the crash may be).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  checkpoint,
  cleanup,
  killPostmaster,
  onCleanup,
  runDir,
  start,
  stopSync,
  waitForPort,
  sleep,
} from './daemons.mjs'
import { createDatabase, ownedDir, pgBin } from './servers.mjs'
import { chaosDrain, chaosSettings, open } from './scenario.mjs'

const ETCD = 23791
const PROXY = 54340
const node = (i) => ({ name: `pg${i}`, port: 54340 + i, rest: 58080 + i })

function startEtcd(dir) {
  const data = join(dir, 'etcd')
  return start(dir, 'etcd', '/usr/bin/etcd', [
    '--name=etcd1',
    `--data-dir=${data}`,
    `--listen-client-urls=http://127.0.0.1:${ETCD}`,
    `--advertise-client-urls=http://127.0.0.1:${ETCD}`,
    `--listen-peer-urls=http://127.0.0.1:${ETCD + 10}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${ETCD + 10}`,
    `--initial-cluster=etcd1=http://127.0.0.1:${ETCD + 10}`,
    '--enable-v2=true',
  ])
}

function patroniConfig(dir, i, scope, synchronous) {
  const n = node(i)
  const data = ownedDir(join(dir, n.name), 'postgres')
  const sockets = ownedDir(join(dir, `${n.name}-sock`), 'postgres')
  const file = join(dir, `${n.name}.yml`)
  writeFileSync(
    file,
    `scope: ${scope}
namespace: /sequelize-async/
name: ${n.name}
restapi:
  listen: 127.0.0.1:${n.rest}
  connect_address: 127.0.0.1:${n.rest}
etcd:
  host: 127.0.0.1:${ETCD}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: ${synchronous}
    postgresql:
      use_pg_rewind: false
      parameters:
        max_connections: 200
        wal_level: replica
        hot_standby: 'on'
        max_wal_senders: 5
        max_replication_slots: 5
  initdb:
    - encoding: UTF8
    - auth: trust
postgresql:
  listen: 127.0.0.1:${n.port}
  connect_address: 127.0.0.1:${n.port}
  data_dir: ${data}/data
  bin_dir: ${pgBin('')}
  pgpass: ${data}/pgpass
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
  authentication:
    replication: { username: replicator, password: replicator }
    superuser: { username: postgres, password: postgres }
  parameters:
    unix_socket_directories: ${sockets}
`,
  )
  return file
}

function startHaproxy(dir) {
  const cfg = join(dir, 'haproxy.cfg')
  const servers = [1, 2]
    .map(
      (i) =>
        `  server ${node(i).name} 127.0.0.1:${node(i).port} maxconn 200 check port ${node(i).rest}`,
    )
    .join('\n')
  writeFileSync(
    cfg,
    `global
  maxconn 1000
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 2s
listen primary
  bind 127.0.0.1:${PROXY}
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
${servers}
`,
  )
  return start(dir, 'haproxy', '/usr/sbin/haproxy', ['-f', cfg, '-db'])
}

/** Which node is the primary, through HAProxy; null while none answers. */
async function primary() {
  const s = open(`postgres://postgres@127.0.0.1:${PROXY}/postgres`)
  try {
    const [[row]] = await s.query(
      "SELECT current_setting('port') AS port, pg_is_in_recovery() AS standby",
    )
    return row.standby ? null : Number(row.port)
  } catch {
    return null
  } finally {
    await s.close().catch(() => undefined)
  }
}

async function waitFor(what, fn, ms = 120_000) {
  const until = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`)
    await sleep(500)
  }
}

async function replicas(port) {
  const s = open(`postgres://postgres@127.0.0.1:${port}/postgres`)
  try {
    const [rows] = await s.query('SELECT application_name, sync_state FROM pg_stat_replication')
    return rows
  } finally {
    await s.close()
  }
}

async function round(short, synchronous) {
  const mode = synchronous ? 'sync' : 'async'
  const dir = runDir(`patroni-${mode}`)
  const etcd = startEtcd(dir)
  await waitForPort('127.0.0.1', ETCD, 30_000, 'etcd')
  const scope = `sa-${mode}-${process.pid}`
  const patronis = {}
  for (const i of [1, 2]) {
    const data = join(dir, node(i).name, 'data')
    onCleanup(() => killPostmaster(data)) // after Patroni's own stop, whatever is left
    patronis[node(i).port] = { data }
    patronis[node(i).port].daemon = start(
      dir,
      node(i).name,
      '/usr/bin/patroni',
      [patroniConfig(dir, i, scope, synchronous)],
      {
        user: 'postgres',
      },
    )
    if (i === 1) await waitForPort('127.0.0.1', node(1).port, 120_000, 'Patroni pg1')
  }
  const proxy = startHaproxy(dir)
  await waitForPort('127.0.0.1', PROXY, 30_000, 'HAProxy')
  const leader = await waitFor('a primary through HAProxy', primary)
  await waitFor('the replica streaming', async () => {
    const rows = await replicas(leader).catch(() => [])
    return rows.length === 1 && (!synchronous || rows[0].sync_state === 'sync') ? rows : null
  })
  const state = (await replicas(leader))[0]
  console.log(
    `Patroni (${mode}): primary on :${leader}, replica ${state.application_name} ${state.sync_state}`,
  )
  const db = await createDatabase(
    'postgres',
    `postgres://postgres@127.0.0.1:${leader}/postgres`,
    'sa_patroni',
    (name) => `postgres://postgres@127.0.0.1:${PROXY}/${name}`,
  )
  const settings = chaosSettings(short, { outageAt: 0.4 })
  const outage = async () => {
    const down = Date.now()
    const old = await primary()
    // Patroni and its PostgreSQL, with no goodbye (PostgreSQL is not in Patroni's process group).
    stopSync({ ...patronis[old].daemon, stopSignal: 'SIGKILL' }, 2000)
    killPostmaster(patronis[old].data)
    const now = await waitFor('a new primary through HAProxy', async () => {
      const p = await primary()
      return p && p !== old ? p : null
    })
    return { down, up: Date.now(), how: `leader :${old} SIGKILLed, :${now} promoted (${mode})` }
  }
  const drain = await chaosDrain(`patroni-${mode}`, db, settings, { outage })
  void etcd
  void proxy // both stopped by the round's cleanup
  return drain
}

// Asynchronous replication: outcomes committed on the old leader and not yet
// shipped are gone with it, so their tasks run again with no recorded cause.
// That, and only that, is the loss this mode accepts: no task may be lost
// or finished twice as the new leader sees it.
const ASYNC_LOSS = new Set(['tasks re-executed without a cause'])

export async function run({ short }) {
  const rows = []
  for (const synchronous of [true, false]) {
    const mark = checkpoint()
    try {
      const drain = await round(short, synchronous)
      const failed = drain.results.filter((r) => !r.ok)
      const rerun = drain.results.find((r) => r.label === 'tasks re-executed without a cause')
      rows.push({
        check: `${synchronous ? 'synchronous' : 'asynchronous'} replication, leader killed mid-drain`,
        ok: synchronous ? drain.ok : failed.every((r) => ASYNC_LOSS.has(r.label)),
        value: drain.summary,
      })
      if (!synchronous)
        rows.push({
          check: 'asynchronous: outcomes lost with the old leader (run again)',
          value: `${rerun.value} task(s)${rerun.value ? ` ${rerun.detail.slice(0, 200)}` : ''}`,
        })
    } finally {
      cleanup(mark) // the next round starts from nothing
    }
  }
  return rows
}
