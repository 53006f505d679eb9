// Database servers of our own for a cluster run: a PostgreSQL cluster made
// with initdb and a MariaDB made with mariadb-install-db, each in the run's
// directory, on its own port and address. The shared servers on 5432/3306
// are never touched.
import { readdirSync, readFileSync, mkdirSync, chownSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Sequelize } from 'sequelize'
import { run, start, waitForPort, sleep } from './daemons.mjs'

export const pgBin = (exe) => {
  const version = readdirSync('/usr/lib/postgresql').sort().at(-1)
  return `/usr/lib/postgresql/${version}/bin/${exe}`
}

const uid = (user) => Number(run('id', ['-u', user]).trim())
const gid = (user) => Number(run('id', ['-g', user]).trim())

/** A directory owned by `user`. */
export function ownedDir(path, user) {
  mkdirSync(path, { recursive: true })
  chownSync(path, uid(user), gid(user))
  return path
}

/** Waits for `ready`, failing at once (with the log's tail) if the daemon exits first. */
export async function upOrExit(daemon, ready) {
  const exited = daemon.exited.then(({ code, signal }) => {
    const tail = readFileSync(daemon.log, 'utf8').trim().split('\n').slice(-5).join('\n  ')
    throw new Error(`${daemon.name} exited (${code ?? signal}) before it was ready:\n  ${tail}`)
  })
  await Promise.race([ready, exited])
  exited.catch(() => undefined)
}

/** initdb + postgres on host:port; trust authentication (a throwaway cluster). */
export async function startPostgres(dir, { name = 'pg', host = '127.0.0.1', port, settings = {} }) {
  const data = ownedDir(join(dir, name), 'postgres')
  run(pgBin('initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'], {
    user: 'postgres',
  })
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 0.0.0.0/0 trust\n')
  const sockets = ownedDir(join(dir, `${name}-sock`), 'postgres')
  const conf = {
    listen_addresses: host,
    port,
    unix_socket_directories: sockets,
    max_connections: 300,
  }
  const args = Object.entries({ ...conf, ...settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`])
  const daemon = start(dir, name, pgBin('postgres'), ['-D', data, ...args], {
    user: 'postgres',
    stopSignal: 'SIGINT', // fast shutdown: SIGTERM would wait for every client
  })
  await upOrExit(daemon, waitForPort(host.split(',')[0], port, 60_000, `PostgreSQL ${name}`))
  return {
    daemon,
    data,
    host,
    port,
    url: (db = 'postgres') => `postgres://postgres@${host.split(',')[0]}:${port}/${db}`,
    restart: async () => restartPostgres(dir, name, data, args, host, port),
  }
}

async function restartPostgres(dir, name, data, args, host, port) {
  return start(dir, name, pgBin('postgres'), ['-D', data, ...args], {
    user: 'postgres',
    stopSignal: 'SIGINT',
  })
}

/** mariadb-install-db + mariadbd on host:port, with a user `cluster` allowed from anywhere. */
export async function startMariadb(dir, { name = 'maria', host = '127.0.0.1', port, extra = [] }) {
  const data = ownedDir(join(dir, name), 'mysql')
  run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=mysql',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ])
  const runs = ownedDir(join(dir, `${name}-run`), 'mysql') // socket and pid file
  const socket = join(runs, `${name}.sock`)
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--port=${port}`,
    `--bind-address=${host}`,
    `--socket=${socket}`,
    `--pid-file=${join(runs, `${name}.pid`)}`,
    '--user=mysql',
    '--max-connections=400',
    '--skip-name-resolve',
    ...extra,
  ]
  const daemon = start(dir, name, '/usr/sbin/mariadbd', args)
  await upOrExit(daemon, waitForPort(host.split(',')[0], port, 120_000, `MariaDB ${name}`))
  await grantCluster(socket)
  return {
    daemon,
    data,
    host,
    port,
    socket,
    args,
    url: (db = '') => `mysql://cluster:cluster@${host.split(',')[0]}:${port}/${db}`,
  }
}

export async function grantCluster(socket) {
  for (let i = 0; ; i++) {
    try {
      run('mariadb', ['--no-defaults', '-S', socket, '-uroot'], {
        input: `CREATE USER IF NOT EXISTS 'cluster'@'%' IDENTIFIED BY 'cluster';
          GRANT ALL ON *.* TO 'cluster'@'%' WITH GRANT OPTION;`,
      })
      return
    } catch (err) {
      if (i > 50) throw err
      await sleep(300)
    }
  }
}

/** Creates database `name` through `adminUrl`; returns a chaos-style db object. */
export async function createDatabase(dialect, adminUrl, name, urlFor) {
  const admin = new Sequelize(adminUrl, { logging: false })
  const quote = dialect === 'postgres' ? '"' : '`'
  await admin.query(`CREATE DATABASE ${quote}${name}${quote}`)
  await admin.close()
  return { dialect, name, config: { url: urlFor(name) }, drop: async () => undefined }
}
