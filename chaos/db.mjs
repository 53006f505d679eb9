// Databases of a chaos run: one fresh database (or SQLite file) per dialect
// and run, made through the server URLs the test suite uses, and the server
// restart (or, on SQLite, a lock storm) that the driver inflicts once.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Sequelize } from 'sequelize'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function availableDialects() {
  return [
    'sqlite',
    ...(process.env.ASYNC_TEST_POSTGRES_URL ? ['postgres'] : []),
    ...(process.env.ASYNC_TEST_MYSQL_URL ? ['mysql'] : []),
  ]
}

const serverUrl = (dialect) =>
  new URL(
    dialect === 'postgres' ? process.env.ASYNC_TEST_POSTGRES_URL : process.env.ASYNC_TEST_MYSQL_URL,
  )

/** Connects to a database described by `config` ({ url } or { storage }). */
export function connect(config, options = {}) {
  const base = { logging: false, ...options }
  if (config.storage) return new Sequelize({ dialect: 'sqlite', storage: config.storage, ...base })
  return new Sequelize(config.url, { pool: { max: 4 }, ...base })
}

/** Creates an empty database for this run; `drop()` removes it. */
export async function createDb(dialect, dir) {
  const name = `sa_chaos_${randomBytes(3).toString('hex')}`
  if (dialect === 'sqlite') {
    const home = mkdtempSync(join(tmpdir(), `${name}-`))
    const config = { storage: join(home, 'chaos.sqlite') }
    return {
      dialect,
      name: config.storage,
      config,
      drop: async () => rmSync(home, { recursive: true, force: true }),
    }
  }
  const server = serverUrl(dialect)
  const quote = dialect === 'postgres' ? '"' : '`'
  const admin = new Sequelize(server.toString(), { logging: false })
  await admin.query(`CREATE DATABASE ${quote}${name}${quote}`)
  await admin.close()
  const url = new URL(server.toString())
  url.pathname = `/${name}`
  return {
    dialect,
    name,
    config: { url: url.toString() },
    async drop() {
      const again = new Sequelize(server.toString(), { logging: false })
      if (dialect === 'postgres') {
        await again.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
        )
      }
      await again.query(`DROP DATABASE IF EXISTS ${quote}${name}${quote}`)
      await again.close()
    },
  }
}

function answers(dialect) {
  const url = serverUrl(dialect)
  const host = url.hostname
  const port = url.port || (dialect === 'postgres' ? '5432' : '3306')
  try {
    if (dialect === 'postgres') execFileSync('pg_isready', ['-q', '-h', host, '-p', port])
    else
      execFileSync('mysqladmin', ['ping', '-h', host, '-P', port, '-uroot', '--silent'], {
        stdio: 'ignore',
      })
    return true
  } catch {
    return false
  }
}

/** Waits until the server answers again; throws after `ms`. */
export async function waitForServer(dialect, ms = 60_000) {
  const deadline = Date.now() + ms
  while (!answers(dialect)) {
    if (Date.now() > deadline)
      throw new Error(`${dialect} server did not come back within ${ms} ms`)
    await sleep(250)
  }
}

const running = (exe) => {
  try {
    execFileSync('pidof', [exe], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// mysqladmin shutdown returns once the server stopped accepting work, which
// can be before the process is gone; start-stop-daemon --oknodo would then
// start nothing. So: wait for the process to end, start, and start again if
// it does not answer in 20 s.
async function restartMariadb() {
  execFileSync('mysqladmin', ['-h', '127.0.0.1', '-uroot', 'shutdown'], { stdio: 'ignore' })
  for (let i = 0; i < 240 && running('mariadbd'); i++) await sleep(250)
  for (let attempt = 1; ; attempt++) {
    execFileSync(
      'start-stop-daemon',
      ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'],
      {
        stdio: 'ignore',
      },
    )
    try {
      return await waitForServer('mysql', 20_000)
    } catch (err) {
      if (attempt === 3) throw err
    }
  }
}

/**
 * Restarts the database server; resolves with { down, up } times (ms since
 * epoch) once it answers again. SQLite has no server: a separate connection
 * holds the write lock for longer than the lease and the busy timeout, so
 * every worker meets SQLITE_BUSY on claim, heartbeat and outcome writes.
 */
export async function outage(db, { sqliteLockMs = 12_000 } = {}) {
  const down = Date.now()
  if (db.dialect === 'sqlite') {
    const holder = connect(db.config, { pool: { max: 1 } })
    await holder.query('PRAGMA busy_timeout = 30000')
    await holder.query('BEGIN EXCLUSIVE')
    await sleep(sqliteLockMs)
    await holder.query('COMMIT')
    await holder.close()
    return { down, up: Date.now(), how: `write lock held ${sqliteLockMs} ms (SQLITE_BUSY storm)` }
  }
  if (db.dialect === 'postgres') {
    const version = readdirSync('/etc/postgresql')[0]
    execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], {
      stdio: 'ignore',
    })
  } else {
    await restartMariadb()
  }
  await waitForServer(db.dialect)
  const how =
    db.dialect === 'postgres' ? 'pg_ctlcluster restart' : 'mysqladmin shutdown + mariadbd start'
  return { down, up: Date.now(), how }
}
