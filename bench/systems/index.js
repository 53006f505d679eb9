// Every benchmarked system by name, and which scenarios each one runs.
// A system module returns an object with:
//   store                    'postgres' | 'mariadb' | 'sqlite' | 'redis'
//   reset()                  drop and recreate its own database, install its schema
//   connect(opts?)           a client: enqueue(tag?), enqueueMany(n), remaining(),
//                            populate({ finished, future }), close()
//   prepareWorker(opts)      in a worker process: connect now, { start(), stop() }
//
// Modules load lazily, so a worker process holds only its own system's code
// (its peak RSS would otherwise include every peer's).
const sequelizeAsync = async (s) => (await import('./sequelize-async.js')).sequelizeAsync(s)
const pgboss = async (s) => (await import('./pgboss.js')).pgboss(s)
const graphile = async (s) => (await import('./graphile.js')).graphile(s)
const bullmq = async () => (await import('./bullmq.js')).bullmq()

const ALL = ['enqueue', 'drain', 'latency', 'depth']

export const SYSTEMS = {
  'sa-sqlite': {
    label: 'sequelize-async · SQLite',
    make: (s) => sequelizeAsync({ ...s, dialect: 'sqlite' }),
    scenarios: [...ALL, 'latency-inproc'],
  },
  'sa-postgres': {
    label: 'sequelize-async · PostgreSQL',
    make: (s) => sequelizeAsync({ ...s, dialect: 'postgres' }),
    scenarios: [...ALL, 'latency-inproc'],
  },
  'sa-mariadb': {
    label: 'sequelize-async · MariaDB',
    make: (s) => sequelizeAsync({ ...s, dialect: 'mariadb' }),
    scenarios: [...ALL, 'latency-inproc'],
  },
  'pg-boss': { label: 'pg-boss · PostgreSQL', make: (s) => pgboss(s), scenarios: ALL },
  graphile: { label: 'graphile-worker · PostgreSQL', make: (s) => graphile(s), scenarios: ALL },
  bullmq: { label: 'BullMQ · Redis', make: () => bullmq(), scenarios: ALL },
  // The batched mode of ours: claim ahead (prefetch 100, as graphile-worker's
  // localQueue.size) and group commit of successes (batchCompletions).
  'sa-sqlite-batched': {
    label: 'sequelize-async · SQLite (batched)',
    make: (s) => sequelizeAsync({ ...s, dialect: 'sqlite', batched: true }),
    scenarios: ['drain'],
  },
  'sa-postgres-batched': {
    label: 'sequelize-async · PostgreSQL (batched)',
    make: (s) => sequelizeAsync({ ...s, dialect: 'postgres', batched: true }),
    scenarios: ['drain'],
  },
  'sa-mariadb-batched': {
    label: 'sequelize-async · MariaDB (batched)',
    make: (s) => sequelizeAsync({ ...s, dialect: 'mariadb', batched: true }),
    scenarios: ['drain'],
  },
  'graphile-batched': {
    label: 'graphile-worker · PostgreSQL (batched)',
    make: (s) => graphile({ ...s, batched: true }),
    scenarios: ['drain'],
  },
}

export async function makeSystem(name, settings) {
  const entry = SYSTEMS[name]
  if (!entry) throw new Error(`unknown system "${name}"; known: ${Object.keys(SYSTEMS).join(', ')}`)
  return { name, label: entry.label, ...(await entry.make(settings)) }
}
