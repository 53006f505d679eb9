/**
 * A connection that fails in the moment its login completes must not take
 * the process down.
 *
 * Sequelize's postgres and mysql connection managers attach their 'error'
 * listener to a new connection only after the promise of its login has
 * resolved, one microtask later. A server that ends the connection in that
 * moment (PostgreSQL's `57P01 terminating connection` when the postmaster is
 * killed during a failover, MySQL's unsolicited error packet) can send the
 * error in the same network read as the end of the login: the driver then
 * emits 'error' with no listener, which Node turns into an uncaught
 * exception. Seen in the Patroni runs of `npm run cluster` (a worker that
 * was starting when the leader died); reproduced by
 * test/connection-guard.test.ts.
 *
 * The guard gives every connection an 'error' listener from its first
 * moment. It only marks the connection broken (`_invalid`, which the
 * postgres manager's `validate()` reads; mysql2 marks its own). Sequelize's
 * listener, once attached, still removes it from the pool, and the
 * statement that was waiting for it fails like any lost connection.
 */
import type { EventEmitter } from 'node:events'
import type { Sequelize } from 'sequelize'

type Connection = EventEmitter & { _invalid?: boolean }

interface GuardedManager {
  lib?: Record<string, unknown>
  __asyncGuarded?: boolean
}

const markBroken = (connection: Connection): Connection => {
  connection.on('error', () => {
    connection._invalid = true
  })
  return connection
}

export function guardConnections(sequelize: Sequelize): void {
  const manager = sequelize.connectionManager as unknown as GuardedManager
  const lib = manager.lib
  if (manager.__asyncGuarded || !lib) return
  const dialect = sequelize.getDialect()
  if (dialect === 'postgres' && typeof lib.Client === 'function') {
    const Base = lib.Client as new (...args: unknown[]) => Connection
    class GuardedClient extends Base {
      constructor(...args: unknown[]) {
        super(...args)
        markBroken(this)
      }
    }
    manager.lib = Object.create(lib, {
      Client: { value: GuardedClient, enumerable: true },
    }) as Record<string, unknown>
  } else if (dialect === 'mysql' && typeof lib.createConnection === 'function') {
    const create = lib.createConnection as (...args: unknown[]) => Connection
    const createConnection = (...args: unknown[]): Connection => markBroken(create.apply(lib, args))
    manager.lib = Object.create(lib, {
      createConnection: { value: createConnection, enumerable: true },
    }) as Record<string, unknown>
  } else {
    return
  }
  manager.__asyncGuarded = true
}
