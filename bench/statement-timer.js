// Times every statement this process sends to the database, whoever sends
// it: Sequelize, or code that talks to the driver directly (the package's
// hot path may bypass Sequelize's `logging`). Wraps the query methods of the
// driver copy Sequelize itself loads (pg's Client, mysql2's Connection,
// sqlite3's Database), for by-hand traces only — never in a measured run.
import { createRequire } from 'node:module'

// The driver as Sequelize resolves it, not bench/node_modules' own copy.
const requireFromSequelize = createRequire(createRequire(import.meta.url).resolve('sequelize'))

const METHODS = {
  postgres: () => [[requireFromSequelize('pg').Client.prototype, ['query']]],
  mysql: () => [[requireFromSequelize('mysql2').Connection.prototype, ['query', 'execute']]],
  sqlite: () => [
    [requireFromSequelize('sqlite3').Database.prototype, ['run', 'all', 'get', 'exec']],
  ],
}

const textOf = (q) => (typeof q === 'string' ? q : (q?.sql ?? q?.text ?? String(q)))

function wrap(proto, name, record) {
  const original = proto[name]
  proto[name] = function timed(...args) {
    const sql = textOf(args[0])
    const started = performance.now()
    const done = () => record({ sql, started, ms: performance.now() - started })
    const last = args.length - 1
    if (typeof args[last] === 'function') {
      const callback = args[last]
      args[last] = function (...result) {
        done()
        return callback.apply(this, result)
      }
      return original.apply(this, args)
    }
    const result = original.apply(this, args)
    // pg without a callback returns a promise; a mysql2 query an emitter.
    if (typeof result?.then === 'function') result.then(done, done)
    else if (typeof result?.once === 'function') result.once('end', done)
    return result
  }
  return () => {
    proto[name] = original
  }
}

/**
 * Starts timing `dialect`'s statements ('postgres' | 'mysql' | 'sqlite');
 * `record({ sql, started, ms })` is called as each one completes. Returns a
 * function that removes the wrappers.
 */
export function timeStatements(dialect, record) {
  const targets = METHODS[dialect]
  if (!targets) throw new Error(`unknown dialect "${dialect}": postgres, mysql or sqlite`)
  const undo = targets().flatMap(([proto, names]) => names.map((n) => wrap(proto, n, record)))
  return () => undo.forEach((u) => u())
}
