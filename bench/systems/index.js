// Every benchmarked system by name, and which scenarios each one runs.
// A system module returns an object with:
//   store                    'postgres' | 'mariadb' | 'sqlite' | 'redis'
//   endless                  true for a baseline with no tasks (its drain runs to the time cap)
//   polled                   true if its rate is set by its poll interval (a smaller drain)
//   reset()                  drop and recreate its own database, install its schema
//   connect(opts?)           a client: enqueue(tag?), enqueueMany(n) (bulk copies for a
//                            backlog), enqueueBatch(n) (the system's own bulk call), remaining(),
//                            populate({ finished, future }), close()
//   prepareWorker(opts)      in a worker process: connect now, { start(), stop() }
// An entry's `kind` is 'queue' (a row of the result tables) or 'baseline'
// (a process without a queue, read against ours: see bare-sequelize.js).
//
// Modules load lazily, so a worker process holds only its own system's code
// (its peak RSS would otherwise include every peer's).
const sequelizeAsync = async (s) => (await import('./sequelize-async.js')).sequelizeAsync(s)
const pgboss = async (s) => (await import('./pgboss.js')).pgboss(s)
const graphile = async (s) => (await import('./graphile.js')).graphile(s)
const bullmq = async () => (await import('./bullmq.js')).bullmq()
const bare = async (s) => (await import('./bare-sequelize.js')).bareSequelize(s)

const ALL = ['enqueue', 'drain', 'latency', 'depth']
const ours = (dialect, name) => ({
  label: `sequelize-async · ${name}`,
  kind: 'queue',
  make: (s) => sequelizeAsync({ ...s, dialect }),
  scenarios: [...ALL, 'latency-inproc', 'bulk'],
})
// The batched mode of ours: claim ahead (prefetch 100, as graphile-worker's
// localQueue.size) and group commit of successes (batchCompletions).
const oursBatched = (dialect, name) => ({
  label: `sequelize-async · ${name} (batched)`,
  kind: 'queue',
  make: (s) => sequelizeAsync({ ...s, dialect, batched: true }),
  scenarios: ['drain'],
})
// The flow-control variants of ours (issue 11): what `unique` costs an
// enqueue, and what a `concurrencyKey` costs a drain (1 × 10).
const oursFlow = (dialect, name, flow) => ({
  label: `sequelize-async · ${name} (${FLOW_LABEL[flow]})`,
  kind: 'queue',
  make: (s) => sequelizeAsync({ ...s, dialect, flow }),
  scenarios: flow === 'unique' ? ['enqueue'] : ['drain'],
  drainSettings: ['1x10'],
})
const FLOW_LABEL = { unique: 'unique: true', keys100: '100 keys', hotkey: 'one hot key' }
const baseline = (dialect, name, driver) => ({
  label: `Sequelize + ${driver} + Order, no queue · ${name}`,
  kind: 'baseline',
  make: (s) => bare({ ...s, dialect }),
  scenarios: ['drain'],
  drainSettings: ['1x10'],
})

export const SYSTEMS = {
  'sa-sqlite': ours('sqlite', 'SQLite'),
  'sa-postgres': ours('postgres', 'PostgreSQL'),
  'sa-mariadb': ours('mariadb', 'MariaDB'),
  'pg-boss': { label: 'pg-boss · PostgreSQL', kind: 'queue', make: pgboss, scenarios: ALL },
  // The peers' "same work" rows: a handler that does what our task does, load
  // the order with Order.findByPk through Sequelize (one instance per worker
  // process, its pool sized to the concurrency).
  'pg-boss-same': {
    label: 'pg-boss · PostgreSQL (same work)',
    kind: 'queue',
    make: (s) => pgboss({ ...s, sameWork: true }),
    scenarios: ['drain'],
  },
  graphile: {
    label: 'graphile-worker · PostgreSQL',
    kind: 'queue',
    make: graphile,
    scenarios: ALL,
  },
  'graphile-same': {
    label: 'graphile-worker · PostgreSQL (same work)',
    kind: 'queue',
    make: (s) => graphile({ ...s, sameWork: true }),
    scenarios: ['drain', 'latency'],
  },
  bullmq: { label: 'BullMQ · Redis', kind: 'queue', make: () => bullmq(), scenarios: ALL },
  'sa-sqlite-batched': oursBatched('sqlite', 'SQLite'),
  'sa-postgres-batched': oursBatched('postgres', 'PostgreSQL'),
  'sa-mariadb-batched': oursBatched('mariadb', 'MariaDB'),
  'graphile-batched': {
    label: 'graphile-worker · PostgreSQL (batched)',
    kind: 'queue',
    make: (s) => graphile({ ...s, batched: true }),
    scenarios: ['drain'],
  },
  ...Object.fromEntries(
    [
      ['sqlite', 'SQLite'],
      ['postgres', 'PostgreSQL'],
      ['mariadb', 'MariaDB'],
    ].flatMap(([dialect, name]) =>
      ['unique', 'keys100', 'hotkey'].map((flow) => [
        `sa-${dialect}-${flow}`,
        oursFlow(dialect, name, flow),
      ]),
    ),
  ),
  'bare-sqlite': baseline('sqlite', 'SQLite', 'sqlite3'),
  'bare-postgres': baseline('postgres', 'PostgreSQL', 'pg'),
  'bare-mariadb': baseline('mariadb', 'MariaDB', 'mysql2'),
}

/** Names of the systems of one kind, in table order. */
export const systemsOf = (kind) => Object.keys(SYSTEMS).filter((s) => SYSTEMS[s].kind === kind)

export async function makeSystem(name, settings) {
  const entry = SYSTEMS[name]
  if (!entry) throw new Error(`unknown system "${name}"; known: ${Object.keys(SYSTEMS).join(', ')}`)
  return { name, label: entry.label, ...(await entry.make(settings)) }
}
