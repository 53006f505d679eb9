// What each engine needs from Debian, and the install of whatever is
// missing (apt-get, as on a clean machine; the services the packages would
// start are not used: the run starts its own daemons on its own ports).
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'

const POSTGRES = ['/usr/lib/postgresql', 'postgresql']
const MARIADB = ['/usr/sbin/mariadbd', 'mariadb-server']
const NEEDS = {
  pgbouncer: [POSTGRES, ['/usr/sbin/pgbouncer', 'pgbouncer']],
  hosts: [
    POSTGRES,
    MARIADB,
    ['/usr/bin/mariadb-install-db', 'mariadb-server'],
    ['/usr/bin/ip', 'iproute2'],
  ],
  patroni: [
    POSTGRES,
    ['/usr/bin/patroni', 'patroni'],
    ['/usr/lib/python3/dist-packages/etcd', 'python3-etcd'],
    ['/usr/bin/etcd', 'etcd-server'],
    ['/usr/sbin/haproxy', 'haproxy'],
  ],
  galera: [MARIADB, ['/usr/lib/galera/libgalera_smm.so', 'galera-4'], ['/usr/bin/rsync', 'rsync']],
}

const present = (path) =>
  existsSync(path) && (!path.endsWith('postgresql') || readdirSync(path).length > 0)

/** Installs the engine's missing packages; returns their names. */
export function ensurePackages(engine) {
  const missing = [
    ...new Set(NEEDS[engine].filter(([path]) => !present(path)).map(([, pkg]) => pkg)),
  ]
  if (missing.length === 0) return missing
  console.log(`installing ${missing.join(' ')} (apt-get)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env })
  return missing
}
