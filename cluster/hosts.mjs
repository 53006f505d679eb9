// --engine=hosts: three simulated worker hosts (network namespaces, veth)
// against one PostgreSQL (port 54332) and one MariaDB (port 33072) of our
// own, listening on the veth addresses. Per dialect: throughput of quick
// tasks with 1, 2 and 3 hosts, connections per worker, and a chaos drain
// during which host 2's link goes down for 10 s and comes back.
import { makeHosts } from './netns.mjs'
import { runDir, sleep } from './daemons.mjs'
import { createDatabase, startMariadb, startPostgres } from './servers.mjs'
import { chaosDrain, chaosSettings, open, sampler, throughput } from './scenario.mjs'

const PG_PORT = 54332
const MARIA_PORT = 33072

function connectionCounter(dialect, adminUrl, dbName) {
  const sequelize = open(adminUrl)
  const sql =
    dialect === 'postgres'
      ? `SELECT host(client_addr) AS addr, count(*) AS n FROM pg_stat_activity WHERE datname = '${dbName}' GROUP BY 1`
      : `SELECT SUBSTRING_INDEX(host, ':', 1) AS addr, COUNT(*) AS n FROM information_schema.processlist WHERE db = '${dbName}' GROUP BY 1`
  return {
    /** Connections from the namespaces (not the harness on 127.0.0.1). */
    async fromHosts() {
      const [rows] = await sequelize.query(sql)
      return rows.filter((r) => r.addr?.startsWith('10.213.')).reduce((s, r) => s + Number(r.n), 0)
    },
    close: () => sequelize.close(),
  }
}

export async function run({ short }) {
  const dir = runDir('hosts')
  const hosts = makeHosts(dir, 3)
  const addresses = ['127.0.0.1', ...hosts.map((h) => h.dbAddress)].join(',')
  console.log(`hosts: ${hosts.map((h) => `${h.ns} ${h.address} -> ${h.dbAddress}`).join('; ')}`)
  const pg = await startPostgres(dir, { host: addresses, port: PG_PORT })
  const maria = await startMariadb(dir, { host: addresses, port: MARIA_PORT })
  console.log(`PostgreSQL :${PG_PORT} and MariaDB :${MARIA_PORT} listening on ${addresses}`)
  const servers = {
    postgres: { admin: pg.url(), at: (addr, db) => `postgres://postgres@${addr}:${PG_PORT}/${db}` },
    mysql: {
      admin: maria.url(),
      at: (addr, db) => `mysql://cluster:cluster@${addr}:${MARIA_PORT}/${db}`,
    },
  }
  const perHost = short ? 1 : 2
  const tasks = short ? 1500 : 5000
  const rows = []
  let n = 0
  for (const dialect of ['postgres', 'mysql']) {
    const s = servers[dialect]
    const newDb = () =>
      createDatabase(dialect, s.admin, `sa_hosts_${++n}`, (name) => s.at('127.0.0.1', name))
    const place = (db, count) => (slot) => {
      const host = hosts[slot % count]
      return {
        execPath: host.node,
        env: { CHAOS_DB: JSON.stringify({ url: s.at(host.dbAddress, db.name) }) },
      }
    }
    for (const count of short ? [1, 3] : [1, 2, 3]) {
      const db = await newDb()
      const counter = connectionCounter(dialect, s.admin, db.name)
      const workers = count * perHost
      console.log(
        `== ${dialect}: ${tasks} quick tasks, ${count} host(s) × ${perHost} worker(s) × concurrency 4`,
      )
      const r = await throughput(`${dialect}-${count}`, db, {
        tasks,
        workers,
        placeWorker: place(db, count),
        monitor: sampler(() => counter.fromHosts()),
      })
      await counter.close()
      const perWorker = (r.seen / workers).toFixed(1)
      console.log(
        `   ${r.rate.toFixed(0)} tasks/s; up to ${r.seen} connections from the hosts (${perWorker} per worker)`,
      )
      rows.push({
        check: `${dialect}: ${count} host(s) × ${perHost} worker(s), quick tasks`,
        ok: r.ok,
        value: `${r.rate.toFixed(0)} tasks/s (${r.executions} in ${r.seconds.toFixed(1)} s), ≤ ${perWorker} connections per worker`,
      })
    }
    // Host 2 loses its link to the database for 10 s, then gets it back.
    const db = await newDb()
    const settings = chaosSettings(short, { workers: 3 * perHost, kills: false, corrupt: 0 })
    const outage = async () => {
      const down = Date.now()
      hosts[1].cut()
      await sleep(10_000)
      hosts[1].mend()
      return { down, up: Date.now(), how: `link of ${hosts[1].ns} down 10 s` }
    }
    const drain = await chaosDrain(`${dialect}-hosts`, db, settings, {
      placeWorker: place(db, 3),
      outage,
    })
    rows.push({
      check: `${dialect}: chaos drain, one host cut off 10 s`,
      ok: drain.ok,
      value: drain.summary,
    })
  }
  return rows
}
