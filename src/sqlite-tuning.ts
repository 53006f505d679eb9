/**
 * SQLite settings for several processes sharing one file. WAL lets readers
 * run beside the one writer (kept in the file once set). busy_timeout makes
 * a writer wait for the lock instead of failing at once with SQLITE_BUSY; it
 * is per connection, and Sequelize's SQLite connection manager opens a new
 * connection for every transaction without running `afterConnect` hooks, so
 * the setting is applied as each connection is handed out.
 */
import type { Sequelize } from 'sequelize'

interface SqliteConnection {
  configure(option: 'busyTimeout', ms: number): void
}

interface SqliteManager {
  getConnection(options?: object): Promise<SqliteConnection>
  __asyncTuned?: boolean
}

export const BUSY_TIMEOUT_MS = 10_000

export async function tuneSqlite(sequelize: Sequelize): Promise<void> {
  const manager = sequelize.connectionManager as unknown as SqliteManager
  if (!manager.__asyncTuned) {
    manager.__asyncTuned = true
    const tuned = new WeakSet<SqliteConnection>()
    const getConnection = manager.getConnection.bind(manager)
    manager.getConnection = async (options) => {
      const connection = await getConnection(options)
      if (!tuned.has(connection)) {
        tuned.add(connection)
        connection.configure('busyTimeout', BUSY_TIMEOUT_MS)
      }
      return connection
    }
  }
  await sequelize.query(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`)
  const storage = (sequelize as unknown as { options: { storage?: string } }).options.storage
  if (storage && storage !== ':memory:') await sequelize.query('PRAGMA journal_mode = WAL')
}
