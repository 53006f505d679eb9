// --engine=galera: three MariaDB nodes with galera-4 (ports 33081-33083,
// group communication 45671-45673, SST by rsync), every node a primary.
// Quick tasks drained by workers all on node 1, then spread over the three
// nodes: throughput and certification conflicts (wsrep_local_cert_failures
// + wsrep_local_bf_aborts) of each; then a chaos drain with the workers
// spread, where a claim that loses certification must be retried and no
// task may run twice.
import { join } from 'node:path'
import { runDir, start, waitForPort } from './daemons.mjs'
import { createDatabase, grantCluster, ownedDir, upOrExit } from './servers.mjs'
import { run as runCmd } from './daemons.mjs'
import { chaosDrain, chaosSettings, open, throughput } from './scenario.mjs'

const NODES = [1, 2, 3]
const port = (i) => 33080 + i
const gcomm = NODES.map((i) => `127.0.0.1:${45670 + i}`).join(',')

async function startNode(dir, i, fresh = true) {
  const data = ownedDir(join(dir, `node${i}`), 'mysql')
  if (fresh)
    runCmd('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${data}`,
      '--user=mysql',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ])
  const runs = ownedDir(join(dir, `node${i}-run`), 'mysql') // socket and pid file
  const socket = join(runs, `node${i}.sock`)
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port(i)}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(runs, `node${i}.pid`)}`,
    '--user=mysql',
    '--max-connections=400',
    '--skip-name-resolve',
    '--binlog-format=ROW',
    '--default-storage-engine=InnoDB',
    '--innodb-autoinc-lock-mode=2',
    '--innodb-flush-log-at-trx-commit=2',
    '--wsrep-on=ON',
    '--wsrep-provider=/usr/lib/galera/libgalera_smm.so',
    `--wsrep-cluster-address=gcomm://${gcomm}`,
    '--wsrep-cluster-name=sequelize_async',
    `--wsrep-node-name=node${i}`,
    '--wsrep-node-address=127.0.0.1',
    `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${45670 + i};ist.recv_addr=127.0.0.1:${45680 + i}`,
    `--wsrep-sst-receive-address=127.0.0.1:${44440 + i}`,
    '--wsrep-sst-method=rsync',
    ...(i === 1 ? ['--wsrep-new-cluster'] : []),
  ]
  const daemon = start(dir, `node${i}`, '/usr/sbin/mariadbd', args)
  await upOrExit(daemon, waitForPort('127.0.0.1', port(i), 180_000, `Galera node${i}`))
  if (i === 1) await grantCluster(socket)
  return { daemon, socket, url: (db = '') => `mysql://cluster:cluster@127.0.0.1:${port(i)}/${db}` }
}

async function status(url, names) {
  const s = open(url)
  try {
    const [rows] = await s.query(
      `SHOW GLOBAL STATUS WHERE Variable_name IN (${names.map((n) => `'${n}'`).join(',')})`,
    )
    return Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]))
  } finally {
    await s.close()
  }
}

/** Per node: certification failures + brute-force aborts so far. */
async function conflicts(nodes) {
  const counts = []
  for (const node of nodes) {
    const s = await status(node.url(), ['wsrep_local_cert_failures', 'wsrep_local_bf_aborts'])
    counts.push(Number(s.wsrep_local_cert_failures ?? 0) + Number(s.wsrep_local_bf_aborts ?? 0))
  }
  return counts
}

/** Conflicts between two readings; a node restarted in between counts from zero. */
const since = (before, after) =>
  after.reduce((sum, n, i) => sum + (n >= before[i] ? n - before[i] : n), 0)

export async function run({ short }) {
  const dir = runDir('galera')
  const nodes = []
  for (const i of NODES) nodes.push(await startNode(dir, i)) // one by one: each joins by SST
  const size = (await status(nodes[0].url(), ['wsrep_cluster_size'])).wsrep_cluster_size
  console.log(`Galera: ${size} nodes on ports ${NODES.map(port).join(', ')}`)
  const rows = [
    { check: 'cluster formed (wsrep_cluster_size)', ok: Number(size) === 3, value: size },
  ]
  let n = 0
  const newDb = () =>
    createDatabase('mysql', nodes[0].url(), `sa_galera_${++n}`, (name) => nodes[0].url(name))
  const spread = (db, over) => (slot) => ({
    env: { CHAOS_DB: JSON.stringify({ url: nodes[slot % over].url(db.name) }) },
  })
  const tasks = short ? 1500 : 5000
  for (const over of [1, 3]) {
    const db = await newDb()
    const before = await conflicts(nodes)
    const r = await throughput(`galera-${over}`, db, {
      tasks,
      workers: 3,
      placeWorker: spread(db, over),
    })
    const found = since(before, await conflicts(nodes))
    const rate = found / r.executions
    console.log(
      `   galera, workers on ${over} node(s): ${r.rate.toFixed(0)} tasks/s, ${found} conflicts`,
    )
    rows.push({
      check: `3 workers × concurrency 4 on ${over} node(s), quick tasks`,
      ok: r.ok,
      value: `${r.rate.toFixed(0)} tasks/s, ${found} certification conflicts (${(100 * rate).toFixed(1)} per 100 tasks)${
        r.ok
          ? ''
          : ' ' +
            r.results
              .filter((x) => !x.ok)
              .map((x) => x.label)
              .join('; ')
      }`,
    })
  }
  const db = await newDb()
  const before = await conflicts(nodes)
  const settings = chaosSettings(short, { workers: 3, outageAt: 0.35 })
  // The outage: node 3 (its workers' only node) leaves the cluster for a while.
  const drain = await chaosDrain('galera', db, settings, {
    placeWorker: spread(db, 3),
    outage: async () => {
      const down = Date.now()
      nodes[2].daemon = await restartNode(dir, nodes[2])
      return { down, up: Date.now(), how: 'node3 killed (SIGKILL), restarted, rejoined by IST/SST' }
    },
  })
  const found = since(before, await conflicts(nodes))
  rows.push({
    check: 'chaos drain over 3 nodes, node 3 killed and rejoined',
    ok: drain.ok,
    value: `${drain.summary}; ${found} certification conflicts`,
  })
  return rows
}

async function restartNode(dir, node) {
  process.kill(-node.daemon.pid, 'SIGKILL')
  await node.daemon.exited
  const again = await startNode(dir, 3, false).catch((err) => {
    throw new Error(`node3 did not come back: ${err.message}`)
  })
  return again.daemon
}
